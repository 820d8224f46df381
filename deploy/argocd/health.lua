-- Argo CD health check for goto-operator.dev GoToOrganizer and GoToAccount.
--
-- Argo CD runs this with the live object in the global `obj` and shows the returned table's
-- status and message. Install it under both keys
--   resource.customizations.health.goto-operator.dev_GoToOrganizer
--   resource.customizations.health.goto-operator.dev_GoToAccount
-- (deploy/argocd/argocd-cm.yaml has both). Argo CD's Lua is gopher-lua (Lua 5.1) in a sandbox
-- with only the base, table and package libraries (no string, no math) unless useOpenLibs is set,
-- so this file sticks to that; tests/argocd_health.rs runs it in the same interpreter and sandbox
-- (hack/envtest/lua) on sample objects.
--
--   Healthy      Ready=True for the current generation
--   Degraded     a GoToAccount with OffboardingBlocked=True: the deletion of one or more of its
--                organizers waits for a person (the message names them and their meetings).
--                Argo CD never runs this script on an object being deleted ("Pending deletion"),
--                so a stuck offboarding shows on the account, not on the organizer
--   Degraded     Ready=False, reason DeletionBlocked, SeatUnavailable, InvalidSpec,
--                CredentialsInvalid, AuditFailed, OwnedElsewhere, AlreadyExists or
--                DeletedExternally: a person must act (the message says what to do)
--   Healthy      also Ready=True with Synced=False reason SuspendedExternally (someone suspended
--                the seat in GoTo and onExternalSuspend: Respect keeps it so): the message says so
--   Suspended    the goto-operator.dev/paused annotation, or Ready=False reason Paused
--   Progressing  anything else: not reconciled yet, the status lags the spec (generation), or a
--                condition the operator retries by itself (GoToUnavailable, RateLimited,
--                AccountNotReady, AccountNotFound, SecretNotFound, ...)

local degraded = {
  DeletionBlocked = true,
  SeatUnavailable = true,
  InvalidSpec = true,
  CredentialsInvalid = true,
  AuditFailed = true,
  OwnedElsewhere = true,
  AlreadyExists = true,
  DeletedExternally = true,
}

-- The spellings of "true" in any case, as the operator reads the annotation (no string.lower in
-- the sandbox).
local truthy = {}
for _, t in ipairs({ "t", "T" }) do
  for _, r in ipairs({ "r", "R" }) do
    for _, u in ipairs({ "u", "U" }) do
      for _, e in ipairs({ "e", "E" }) do
        truthy[t .. r .. u .. e] = true
      end
    end
  end
end

local function describe(condition)
  local text = condition.reason or "Unknown"
  if condition.message ~= nil and condition.message ~= "" then
    text = text .. ": " .. condition.message
  end
  return text
end

local function health(obj)
  local metadata = obj.metadata or {}
  local annotations = metadata.annotations or {}
  local paused = annotations["goto-operator.dev/paused"]
  if paused ~= nil and truthy[paused] then
    return { status = "Suspended", message = "Paused by the goto-operator.dev/paused annotation" }
  end

  local status = obj.status or {}
  local ready = nil
  local synced = nil
  local offboarding = nil
  for _, condition in ipairs(status.conditions or {}) do
    if condition.type == "Ready" then
      ready = condition
    elseif condition.type == "Synced" then
      synced = condition
    elseif condition.type == "OffboardingBlocked" then
      offboarding = condition
    end
  end
  if ready == nil then
    return { status = "Progressing", message = "Waiting for the operator to reconcile" }
  end

  -- A status older than the spec says nothing about the spec: wait for the operator.
  local generation = metadata.generation
  local observed = ready.observedGeneration or status.observedGeneration
  if generation ~= nil and (observed == nil or observed < generation) then
    return {
      status = "Progressing",
      message = "Waiting for the operator to reconcile generation " .. tostring(generation),
    }
  end

  -- GoToAccount: organizers whose deletion waits for a person (upcoming meetings).
  if offboarding ~= nil and offboarding.status == "True" then
    return { status = "Degraded", message = describe(offboarding) }
  end

  if ready.status == "True" then
    -- A seat suspended in GoTo on purpose (onExternalSuspend: Respect) is healthy, but say so.
    if synced ~= nil and synced.status == "False" and synced.reason == "SuspendedExternally" then
      return { status = "Healthy", message = describe(synced) }
    end
    return { status = "Healthy", message = describe(ready) }
  end
  if ready.reason == "Paused" then
    return { status = "Suspended", message = describe(ready) }
  end
  if ready.status == "False" and degraded[ready.reason] then
    return { status = "Degraded", message = describe(ready) }
  end
  return { status = "Progressing", message = describe(ready) }
end

return health(obj)
