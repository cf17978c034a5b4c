"""What every email shows about the clinic, and where a lesson stands in the course.

Both are part of the render cache key, so they are frozen and compare by value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.mail import blocks, pictures

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "email_templates"
IMAGES_DIR = ROOT / "lessons" / "images"
EXERCISE_CARD_PATH = "/course/exercises"


@dataclass(frozen=True)
class ClinicSettings:
    """What every email shows about the clinic; part of every cache key."""

    name: str
    postal_address: str
    phone: str
    booking_url: str
    base_url: str = ""  # absolute; pictures and the exercise card are served from it
    logo_url: str = ""  # optional small logo in the header
    templates_dir: str = str(TEMPLATES_DIR)
    images_dir: str = str(IMAGES_DIR)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClinicSettings:
        """Read the clinic settings from the app config (or any mapping)."""
        base_url = str(config.get("BASE_URL") or "").rstrip("/")
        logo = str(config.get("CLINIC_LOGO_URL") or "")
        return cls(
            name=str(config["CLINIC_NAME"]),
            postal_address=str(config["CLINIC_POSTAL_ADDRESS"]),
            phone=str(config["CLINIC_PHONE"]),
            booking_url=str(config["CLINIC_BOOKING_URL"]),
            base_url=base_url,
            logo_url=base_url + logo if logo.startswith("/") else logo,
            templates_dir=str(config.get("EMAIL_TEMPLATES_DIR") or TEMPLATES_DIR),
            # The drawings the service serves (LESSONS_DIR, as the /course/images route reads).
            images_dir=str(Path(config["LESSONS_DIR"]) / "images") if config.get("LESSONS_DIR")
            else str(IMAGES_DIR),
        )

    @property
    def images_path(self) -> Path:
        return Path(self.images_dir)

    def placeholder_values(self) -> dict[str, str]:
        return {
            "CLINIC_BOOKING_URL": self.booking_url,
            "CLINIC_NAME": self.name,
            "CLINIC_PHONE": self.phone,
            "EXERCISE_CARD_URL": self.base_url + EXERCISE_CARD_PATH,
        }

    def extras(self) -> blocks.Extras:
        """What the lesson conventions (button, pictures) need from these settings."""
        return blocks.Extras(
            self.booking_url,
            lambda src: pictures.resolve(src, self.base_url, self.images_path),
        )


@dataclass(frozen=True)
class Place:
    """Where a lesson stands in the course, shown at the top and the end of its email."""

    number: int
    total: int
    next_subject: str | None = None  # None on the last lesson

    @property
    def label(self) -> str:
        return f"Lesson {self.number} of {self.total}"


def places(subjects: Sequence[str]) -> list[Place]:
    """The Place of each lesson, given every published subject in course order."""
    total = len(subjects)
    return [
        Place(number, total, subjects[number] if number < total else None)
        for number in range(1, total + 1)
    ]
