-- wrk script for the vote ingest case: each voter of the listing votes once.
-- Arguments: <voters file> <vote path> <answers file prefix>. Each line of the voters file is
-- "<session token> <csrf cookie> <csrf token>". Thread i of n takes lines i, i+n, i+2n, ...
-- Every answer is written as "answer <status> <monotonic time> [<receipt>]" to the thread's
-- own file; the thread stops once each vote it sent has its answer.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } council_timespec;
int clock_gettime(int clk_id, council_timespec *tp);
]]
local clock = ffi.new("council_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC, as Python's time.monotonic()
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

local voters, path, out
local sent, answered, mine = 0, 0, 0
local choices = { "yes", "no", "abstain" }

function init(args)
  path = args[2]
  voters = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % 2 == (index - 1) then -- bench/wrk.py runs two threads
      local token, cookie, csrf = line:match("(%S+) (%S+) (%S+)")
      table.insert(voters, { token = token, cookie = cookie, csrf = csrf })
    end
    i = i + 1
  end
  mine = #voters
  out = io.open(args[3] .. "." .. index, "w")
  out:setvbuf("line") -- wrk may end the thread at the deadline: each line is out already
  out:write(string.format("start %.6f\n", now()))
end

function request()
  sent = sent + 1
  local voter = voters[sent]
  if voter == nil then
    -- Nothing left to cast: a cheap request keeps the connection busy until the others end.
    return wrk.format("GET", "/healthz")
  end
  local body = "_csrf_token=" .. voter.csrf .. "&choice=" .. choices[(sent % 3) + 1]
  return wrk.format("POST", path, {
    ["Cookie"] = "council_session=" .. voter.token .. "; csrftoken=" .. voter.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  if status == 200 and answered >= mine then
    return -- an answer to the filler request
  end
  answered = answered + 1
  local receipt = headers["x-vote-receipt"] or headers["X-Vote-Receipt"] or ""
  out:write(string.format("answer %d %.6f %s\n", status, now(), receipt))
  if answered >= mine then
    wrk.thread:stop()
  end
end
