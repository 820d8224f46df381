// Command envtest-helper does for hack/envtest.sh what openssl and curl would otherwise do, so
// that a fresh machine needs neither: it is built from this module (standard library only) by
// hack/tools.sh and cached like the other tools.
//
//	envtest-helper pki DIR     CA (CA:TRUE), serving leaf for 127.0.0.1/localhost signed by it
//	                           (CA:FALSE: rustls refuses a CA as the server certificate), and the
//	                           service-account signing key pair, as PEM files in DIR
//	envtest-helper token       24 random bytes, hex: a bearer token for tokens.csv
//	envtest-helper get [-cacert FILE] [-token-file FILE] URL
//	                           GET URL (2 s timeout), body on stdout; exit 1 unless 2xx
//	envtest-helper post URL JSON
//	                           POST the JSON body to URL (e.g. the simulator's /_sim API), same
//	                           output and exit status
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "pki":
		if len(os.Args) != 3 {
			usage()
		}
		err = pki(os.Args[2])
	case "token":
		err = token()
	case "get":
		err = get(os.Args[2:])
	case "post":
		if len(os.Args) != 4 {
			usage()
		}
		err = post(os.Args[2], os.Args[3])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest-helper:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: envtest-helper pki DIR | token | get [-cacert FILE] [-token-file FILE] URL | post URL JSON")
	os.Exit(2)
}

// The certificates live as long as a test run; 30 days leaves room for a long-lived
// `make envtest-up`.
const validity = 30 * 24 * time.Hour

func pki(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	now := time.Now().Add(-time.Minute) // tolerate a little clock skew
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "goto-operator-envtest-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leafTemplate := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:             now,
		NotAfter:              now.Add(validity),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTemplate, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return err
	}

	// Service-account token signing key pair (the apiserver refuses to start without one).
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return err
	}

	files := []struct {
		name, kind string
		der        []byte
		mode       os.FileMode
	}{
		{"ca.crt", "CERTIFICATE", caDER, 0o644},
		{"apiserver.crt", "CERTIFICATE", leafDER, 0o644},
		{"sa.pub", "PUBLIC KEY", saPub, 0o644},
	}
	for _, key := range []struct {
		name string
		key  any
	}{{"ca.key", caKey}, {"apiserver.key", leafKey}, {"sa.key", saKey}} {
		der, err := x509.MarshalPKCS8PrivateKey(key.key)
		if err != nil {
			return err
		}
		files = append(files, struct {
			name, kind string
			der        []byte
			mode       os.FileMode
		}{key.name, "PRIVATE KEY", der, 0o600})
	}
	for _, f := range files {
		data := pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der})
		if err := os.WriteFile(filepath.Join(dir, f.name), data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

func token() error {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	fmt.Println(hex.EncodeToString(b))
	return nil
}

func get(args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	caFile := fs.String("cacert", "", "PEM file of the CA that signed the server's certificate")
	tokenFile := fs.String("token-file", "", "file holding a bearer token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		usage()
	}
	transport := &http.Transport{Proxy: nil}
	if *caFile != "" {
		pemData, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return fmt.Errorf("%s: no certificate", *caFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	req, err := http.NewRequest(http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return err
	}
	if *tokenFile != "" {
		t, err := os.ReadFile(*tokenFile)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(t)))
	}
	return send(&http.Client{Transport: transport, Timeout: 2 * time.Second}, req)
}

func post(url, body string) error {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return send(&http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}, req)
}

// send does the request, copies the body to stdout and fails unless the status is 2xx.
func send(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	os.Stdout.Write(body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errors.New(resp.Status)
	}
	return nil
}
