-- wrk script for bench_http.sh: 90% GET recommendations with explanations, 10% POST of one
-- event (random users and items of ml-100k), interleaved at random.
local users = tonumber(os.getenv("PT_USERS") or "943")
local items = tonumber(os.getenv("PT_ITEMS") or "1682")
local token = os.getenv("PT_TOKEN") or ""
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  if math.random() < 0.1 then
    return wrk.format("POST", "/v1/events", headers,
      string.format('{"user":"%d","item":"%d","action":"clicked"}',
                    math.random(1, users), math.random(1, items)))
  end
  return wrk.format("GET", "/v1/users/" .. math.random(1, users) ..
                    "/recommendations?k=10&explain=true")
end
