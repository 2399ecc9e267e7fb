// Package hello is the floor every function's cold start is compared with in make bench: the
// smallest aws-lambda-go handler, which answers at once, and on request makes the HTTPS round
// trips a cold sign-in cannot avoid (one to Secrets Manager, one to Cognito: a new connection,
// so a full TLS handshake, each), with nothing of the AWS SDK.
package hello

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// Event is what the handler is sent. An empty event is answered at once.
type Event struct {
	// Get lists URLs to GET in turn, each over a new connection, before answering.
	Get []string `json:"get,omitempty"`
}

// Answer is the handler's reply.
type Answer struct {
	Message string `json:"message"`
	// Statuses are the HTTP statuses of Event.Get's requests, in order.
	Statuses []int `json:"statuses,omitempty"`
}

// Handler answers events. Its HTTPS client trusts the system roots, which Go loads at the first
// handshake (from SSL_CERT_FILE when set), as an AWS SDK client on Lambda does.
type Handler struct {
	once   sync.Once
	client *http.Client
}

// Handle answers ev.
func (h *Handler) Handle(ctx context.Context, ev Event) (Answer, error) {
	a := Answer{Message: "hello, world"}
	if len(ev.Get) == 0 {
		return a, nil
	}
	h.once.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// One connection per request: every GET pays a handshake, as each of a cold sign-in's
		// two hosts does.
		tr.DisableKeepAlives = true
		h.client = &http.Client{Transport: tr}
	})
	for _, url := range ev.Get {
		status, err := get(ctx, h.client, url)
		if err != nil {
			return Answer{}, err
		}
		a.Statuses = append(a.Statuses, status)
	}
	return a, nil
}

func get(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
