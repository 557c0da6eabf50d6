-- Write traffic for fixiactl bench: register, create project, apply (FIXIA_BENCH_MODE picks
-- one or "mix"). Register needs no account; the other two use access tokens of accounts
-- fixiactl created through the API before the run (FIXIA_BENCH_DATA), because logging in
-- from inside wrk would measure login too.
dofile(os.getenv("FIXIA_BENCH_LUA") .. "/report.lua")

local data = dofile(os.getenv("FIXIA_BENCH_DATA"))
local mode = os.getenv("FIXIA_BENCH_MODE") or "mix"
-- Every wrk run starts its counters at 0 again, so each run of one bench registers in its
-- own slot of e-mails and DNIs.
local slot = tonumber(os.getenv("FIXIA_BENCH_SLOT") or "0")
local counter = 0

local function pick(list)
  return list[math.random(#list)]
end

local function post(path, body, token)
  local headers = { ["Content-Type"] = "application/json" }
  if token then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("POST", path, headers, body)
end

local function register()
  -- Unique per request: the bench's run id, the slot and the thread in the e-mail, and a
  -- range of dni_span DNIs per slot and thread above every DNI already in the database.
  counter = counter + 1
  local serial = counter % data.dni_span
  local range = slot * data.threads + tid
  local dni = data.dni_base + range * data.dni_span + serial
  local role = (counter % 2 == 0) and "professional" or "client"
  local body = string.format(
    '{"email":"bench-%s-%d-%d-%d@bench.fixia.com.ar","password":"%s","name":"Usuario Bench",'
      .. '"role":"%s","dni":"%d","birthdate":"1990-05-17","phone":"+54 9 280 4%06d",'
      .. '"location":"Trelew, Chubut"}',
    data.run, slot, tid, counter, data.password, role, dni, serial
  )
  return post("/api/v1/auth/register", body)
end

local function project()
  counter = counter + 1
  local body = string.format(
    '{"category_id":"%s","title":"Arreglo de cañería número %d",'
      .. '"description":"Necesito reparar una pérdida en la cocina y revisar la instalación '
      .. 'completa del baño.","budget_min":20000,"budget_max":60000,"deadline":"%s",'
      .. '"location":"Trelew, Chubut","is_remote":false,"skills":["plomería"]}',
    pick(data.categories), counter, data.deadline
  )
  return post("/api/v1/projects", body, pick(data.clients))
end

local applied = 0

local function apply()
  -- The API allows 2 active proposals per professional and project: walk the
  -- (professional, project) pairs in order instead of drawing them, so no pair repeats
  -- within a run; each slot and thread starts at its own offset.
  applied = applied + 1
  local i = applied + (slot * data.threads + tid) * 7919
  local pro = data.pros[i % #data.pros + 1]
  local project = data.projects[math.floor(i / #data.pros) % #data.projects + 1]
  local body = '{"message":"Hola, puedo hacerlo esta semana con materiales incluidos.",'
    .. '"quoted_price":35000,"delivery_time_days":5}'
  return post("/api/v1/opportunities/" .. project .. "/apply", body, pro)
end

local builders = { register = register, project = project, apply = apply }

if builders[mode] == nil and mode ~= "mix" then
  error("unknown FIXIA_BENCH_MODE " .. mode)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
end

function request()
  local name = mode
  if mode == "mix" then
    name = pick(data.mix)
  end
  return builders[name]()
end
