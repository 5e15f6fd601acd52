package prom

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/internal/source"
)

// testPKI is a throw-away CA with a server and a client certificate, written
// as PEM files into a temporary directory.
type testPKI struct {
	pool                          *x509.CertPool
	server                        tls.Certificate
	caFile, clientCert, clientKey string
}

func newTestPKI(t *testing.T, serverNames []string, serverIPs []net.IP) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "omen test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	issue := func(serial int64, usage x509.ExtKeyUsage, names []string, ips []net.IP) ([]byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "omen test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     names,
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	p := &testPKI{pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	certPEM, keyPEM := issue(2, x509.ExtKeyUsageServerAuth, serverNames, serverIPs)
	p.server, err = tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	clientPEM, clientKeyPEM := issue(3, x509.ExtKeyUsageClientAuth, nil, nil)

	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	p.caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	p.clientCert = write("client.pem", clientPEM)
	p.clientKey = write("client-key.pem", clientKeyPEM)
	return p
}

// startTLSFake serves f over TLS with the PKI's server certificate,
// requiring a client certificate when mutual is set.
func startTLSFake(t *testing.T, f *fakeProm, p *testPKI, mutual bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(f)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	if mutual {
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		srv.TLS.ClientCAs = p.pool
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestTLS(t *testing.T) {
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	tests := []struct {
		name     string
		names    []string
		ips      []net.IP
		mutual   bool
		tls      func(p *testPKI) TLSConfig
		wantErr  string
		requests int64
	}{
		{"a CA file verifies the server", nil, loopback, false,
			func(p *testPKI) TLSConfig { return TLSConfig{CAFile: p.caFile} }, "", 1},
		{"without the CA file the unknown authority is refused and not retried", nil, loopback, false,
			func(*testPKI) TLSConfig { return TLSConfig{} }, "TLS handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority", 0},
		{"InsecureSkipVerify accepts any certificate", nil, loopback, false,
			func(*testPKI) TLSConfig { return TLSConfig{InsecureSkipVerify: true} }, "", 1},
		{"ServerName checks another name than the URL's host", []string{"prom.example"}, nil, false,
			func(p *testPKI) TLSConfig { return TLSConfig{CAFile: p.caFile, ServerName: "prom.example"} }, "", 1},
		{"a certificate for another name is refused", []string{"prom.example"}, nil, false,
			func(p *testPKI) TLSConfig { return TLSConfig{CAFile: p.caFile} }, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs", 0},
		{"a client certificate passes mutual TLS", nil, loopback, true,
			func(p *testPKI) TLSConfig {
				return TLSConfig{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey}
			}, "", 1},
		{"mutual TLS without a client certificate is refused", nil, loopback, true,
			func(p *testPKI) TLSConfig { return TLSConfig{CAFile: p.caFile} }, "remote error: tls: certificate required", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPKI(t, tt.names, tt.ips)
			fake := &fakeProm{}
			srv := startTLSFake(t, fake, p, tt.mutual)
			c := newClient(t, Config{URL: srv.URL, TLS: tt.tls(p)})
			res, err := c.QueryRange(context.Background(), source.Query{Expr: "m", Start: t0, End: t0.Add(time.Hour), Step: time.Minute})
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Len(t, res.Series, 1)
			} else {
				require.ErrorIs(t, err, ErrTLS)
				require.Contains(t, err.Error(), "prometheus at "+srv.URL+": ")
				require.Contains(t, err.Error(), tt.wantErr)
				require.NotContains(t, err.Error(), "attempts", "certificate errors are not retried")
			}
			require.Equal(t, tt.requests, fake.requests.Load())
		})
	}
}
