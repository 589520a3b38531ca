-- wrk script for bench_http.sh: POST /v1/events with PT_BATCH events per request (a JSON
-- array), random users 1..PT_USERS and items 1..PT_ITEMS, action viewed, time = received.
-- 64 bodies are made per thread at start and sent in turn, so Lua costs little per request.
local users = tonumber(os.getenv("PT_USERS") or "943")
local items = tonumber(os.getenv("PT_ITEMS") or "1682")
local batch = tonumber(os.getenv("PT_BATCH") or "1")
local token = os.getenv("PT_TOKEN") or ""
local bodies, n = {}, 0
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  for b = 1, 64 do
    local ev = {}
    for i = 1, batch do
      ev[i] = string.format('{"user":"%d","item":"%d","action":"viewed"}',
                            math.random(1, users), math.random(1, items))
    end
    bodies[b] = batch == 1 and ev[1] or ("[" .. table.concat(ev, ",") .. "]")
  end
end

request = function()
  n = n + 1
  return wrk.format("POST", "/v1/events", headers, bodies[(n % 64) + 1])
end
