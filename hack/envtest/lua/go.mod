// Wrapper module: builds argocd-lua, which runs deploy/argocd/health.lua in gopher-lua, the Lua
// that Argo CD embeds, with Argo CD's sandbox (main.go). See docs/envtest.md.
module goto-operator/hack/envtest/lua

go 1.26.0

require github.com/yuin/gopher-lua v1.1.2
