package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
)

// listenMetrics opens --metrics-listen; nil when it is not given, and
// /metrics is then served on --listen.
func listenMetrics(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on --metrics-listen %s: %w", addr, err)
	}
	return ln, nil
}

// metricsMux serves h at /metrics, and nothing else: the listener is for
// Prometheus.
func metricsMux(h http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// metricsURL is where --metrics-listen serves /metrics.
func metricsURL(ln net.Listener, tlsConfig *tls.Config) string {
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String() + "/metrics"
}
