package httpsource

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stevedore-go/stevedore/examples/ceilometer/source"
	"github.com/stevedore-go/stevedore/stevedoretest"
)

// each makes a Sink of a function of one body, which is what the http
// source gives a Sink.
func each(f func(ctx context.Context, body []byte) (source.Report, error)) source.Sink {
	return func(ctx context.Context, bodies ...[]byte) ([]source.Report, error) {
		if len(bodies) != 1 {
			panic("the http source sinks one body at a time")
		}
		rep, err := f(ctx, bodies[0])
		return []source.Report{rep}, err
	}
}

func mounted(t *testing.T, s Settings, sink source.Sink) http.Handler {
	t.Helper()
	src, err := New(nil, s)
	require.NoError(t, err)
	pattern, h := src.(source.Mounter).Mount(sink)
	mux := http.NewServeMux()
	mux.Handle(pattern, h)
	return mux
}

func post(h http.Handler, body io.Reader) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/notifications", body))
	return rec
}

// reply decodes a reply, which is always JSON.
func reply(t *testing.T, rec *httptest.ResponseRecorder) (rep source.Report, errText string) {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var r response
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r.Report, r.Error
}

// The status says what became of the body: 202 stored, 400 bad (in
// part), 500 not stored, 413 too large; the report comes back as the
// sink made it.
func TestReplies(t *testing.T) {
	h := mounted(t, Settings{}.Defaults(), each(func(_ context.Context, body []byte) (source.Report, error) {
		switch string(body) {
		case "good":
			return source.Report{Notifications: 2, Samples: 3, Unmetered: map[string]int{"x.y": 1}}, nil
		case "bad":
			return source.Report{Notifications: 2, Samples: 1, Errors: []string{"notification 1: missing payload"}}, nil
		}
		return source.Report{}, errors.New("database is down")
	}))
	rec := post(h, strings.NewReader("good"))
	assert.Equal(t, http.StatusAccepted, rec.Code)
	rep, _ := reply(t, rec)
	assert.Equal(t, source.Report{Notifications: 2, Samples: 3, Unmetered: map[string]int{"x.y": 1}}, rep)

	rec = post(h, strings.NewReader("bad"))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	rep, _ = reply(t, rec)
	assert.Equal(t, []string{"notification 1: missing payload"}, rep.Errors)
	assert.Equal(t, 1, rep.Samples, "the good rest was stored")

	rec = post(h, strings.NewReader("anything else"))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	_, errText := reply(t, rec)
	assert.Equal(t, "database is down", errText)

	rec = post(h, strings.NewReader(strings.Repeat(" ", maxBody+1)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	_, errText = reply(t, rec)
	assert.Equal(t, "read body: http: request body too large", errText)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/notifications", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// Beyond max_requests at once, a request gets 503 with Retry-After
// before its body is read; a slot freed is taken again.
func TestBoundsRequestsInFlight(t *testing.T) {
	var sunk []string
	src, err := New(nil, Settings{MaxRequests: 1})
	require.NoError(t, err)
	_, h := src.(source.Mounter).Mount(each(func(_ context.Context, body []byte) (source.Report, error) {
		sunk = append(sunk, string(body))
		return source.Report{Notifications: 1}, nil
	}))

	// The first request's body is still arriving.
	body, writer := io.Pipe()
	first := make(chan int, 1)
	go func() { first <- post(h, body).Code }()
	require.Eventually(t, func() bool { return len(src.(*Source).requests) == 1 }, 5*time.Second, time.Millisecond)

	rec := post(h, strings.NewReader("second"))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "1", rec.Header().Get("Retry-After"))
	_, errText := reply(t, rec)
	assert.Equal(t, "busy: 1 requests are being stored; retry", errText)

	_, err = writer.Write([]byte("first"))
	require.NoError(t, err)
	require.NoError(t, writer.Close())
	assert.Equal(t, http.StatusAccepted, <-first)

	assert.Equal(t, http.StatusAccepted, post(h, strings.NewReader("third")).Code, "the slot is free again")
	assert.Equal(t, []string{"first", "third"}, sunk, "the one turned away was not read")
}

func TestSettings(t *testing.T) {
	_, err := New(nil, Settings{MaxRequests: 0})
	assert.EqualError(t, err, "http: max_requests 0 is below 1")
}

// Run only waits: the requests come through the handler.
func TestRunWaits(t *testing.T) {
	src, err := New(nil, Settings{}.Defaults())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, nil) }()
	select {
	case <-done:
		t.Fatal("Run returned before its context ended")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	assert.NoError(t, <-done)
}

func TestManifest(t *testing.T) {
	stevedoretest.Manifest(t, stevedoreGenManifest, "entry_points.toml")
}
