-- wrk script for bench/waitlist_load.py: POST /api/waitlist, each request a new email.
-- wrk -s bench/waitlist_signup.lua URL -- PREFIX    (PREFIX keeps runs apart)

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  prefix = args[1] or "wrk"
  n = 0
end

function request()
  n = n + 1
  local body = string.format('{"email":"%s-%d-%d@example.com","consent":true}', prefix, id, n)
  return wrk.format("POST", "/api/waitlist", {
    ["Content-Type"] = "application/json",
    ["Content-Length"] = tostring(#body),
  }, body)
end
