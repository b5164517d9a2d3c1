package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// tap wraps a response body. It is the suite's view of the wire: it caps the
// size, keeps the first bytes for diagnosis, notices "data: [DONE]", and
// cancels the request when the body goes silent for longer than idle.
type tap struct {
	rc       io.ReadCloser
	max      int64
	n        int64
	head     bytes.Buffer
	last     []byte // last bytes read, to spot [DONE] across reads
	sawDone  bool
	tooLarge bool
	// readAt is when the latest Read returned bytes. When the SSE decoder
	// hands over an event, the latest Read is the one that delivered the
	// event's last bytes (the decoder reads no further than the blank line
	// ending it), so readAt is the event's arrival, taken before openai-go
	// spends tens of microseconds (more under load) decoding its JSON.
	readAt time.Time

	idle   time.Duration
	timer  *time.Timer
	cancel context.CancelCauseFunc
	once   sync.Once
}

const headBytes = 2048

var errTooLarge = errors.New("response body too large")

var doneMarker = []byte("data: [DONE]")

func newTap(rc io.ReadCloser, max int64, idle time.Duration, cancel context.CancelCauseFunc) *tap {
	t := &tap{rc: rc, max: max, idle: idle, cancel: cancel}
	if idle > 0 && cancel != nil {
		t.timer = time.AfterFunc(idle, func() { cancel(errIdle) })
	}
	return t
}

func (t *tap) Read(p []byte) (int, error) {
	if t.tooLarge {
		return 0, errTooLarge
	}
	n, err := t.rc.Read(p)
	if n > 0 {
		t.readAt = time.Now()
		if t.timer != nil {
			t.timer.Reset(t.idle)
		}
		if t.n+int64(n) > t.max {
			n = int(t.max - t.n)
			t.tooLarge = true
			err = errTooLarge
		}
		t.n += int64(n)
		if room := headBytes - t.head.Len(); room > 0 {
			t.head.Write(p[:min(n, room)])
		}
		if !t.sawDone {
			t.last = append(t.last, p[:n]...)
			if bytes.Contains(t.last, doneMarker) {
				t.sawDone = true
			}
			if k := len(t.last) - len(doneMarker); k > 0 {
				t.last = append(t.last[:0], t.last[k:]...)
			}
		}
	}
	return n, err
}

func (t *tap) Close() error {
	t.stop()
	return t.rc.Close()
}

func (t *tap) stop() {
	t.once.Do(func() {
		if t.timer != nil {
			t.timer.Stop()
		}
	})
}
