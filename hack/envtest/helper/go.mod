// Wrapper module: builds envtest-helper (main.go, standard library only), which writes the test
// control plane's certificates and tokens and probes it over HTTP, so that hack/envtest.sh needs
// neither openssl nor curl. See docs/envtest.md.
module goto-operator/hack/envtest/helper

go 1.26.0
