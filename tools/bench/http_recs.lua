-- wrk script for bench_http.sh: GET /v1/users/{u}/recommendations?k=10&explain=true for random
-- users 1..PT_USERS (ml-100k: 943).
local users = tonumber(os.getenv("PT_USERS") or "943")
local seeded = false
request = function()
  if not seeded then
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
    seeded = true
  end
  return wrk.format("GET", "/v1/users/" .. math.random(1, users) ..
                    "/recommendations?k=10&explain=true")
end
