-- wrk script: each request is a JSON signup for an address no other request uses, as the
-- embedded form's JavaScript sends it; counts the answers by status in each thread.
-- Its one argument (after `--`) starts every address, so each run signs up new ones.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "load"
  sent, accepted, refused, limited = 0, 0, 0, 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local body = string.format(
    '{"email": "%s-%d-%d@example.com", "first_name": "Sam", "consent": true}', prefix, id, sent)
  return wrk.format(nil, wrk.path, nil, body)
end

function response(status, headers, body)
  if status == 200 then accepted = accepted + 1
  elseif status == 429 then limited = limited + 1
  else refused = refused + 1 end
end

function done(summary, latency, requests)
  local a, r, l = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    r = r + thread:get("refused")
    l = l + thread:get("limited")
  end
  io.write(string.format("ANSWERS accepted=%d refused=%d limited=%d\n", a, r, l))
end
