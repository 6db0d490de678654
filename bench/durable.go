package bench

import (
	"errors"
	"os"
	"sync"
)

// errLogClosed answers an append made after the log was closed.
var errLogClosed = errors.New("baseline log closed")

// durableLog is the least a server can do to make a write durable: append
// it to a file and fsync before answering. Writes that arrive while an
// fsync runs are written and synced together by the next one (group
// commit), as the daemon's log does, so that concurrent writers share
// fsyncs.
type durableLog struct {
	f     *os.File
	in    chan logWrite
	quit  chan struct{}
	done  chan struct{}
	close sync.Once
	// sync makes what was written durable: f.Sync, but for tests.
	sync func() error
}

type logWrite struct {
	data []byte
	ack  chan error
}

// openDurableLog creates the log as a new file in dir, which should be on
// the disk of the daemon's data dir; Close removes it.
func openDurableLog(dir string) (*durableLog, error) {
	f, err := os.CreateTemp(dir, "reconcile-bench-baseline-*.log")
	if err != nil {
		return nil, err
	}
	l := &durableLog{f: f, in: make(chan logWrite, 64), quit: make(chan struct{}), done: make(chan struct{}), sync: f.Sync}
	go l.run()
	return l, nil
}

// Append returns once data is on disk.
func (l *durableLog) Append(data []byte) error {
	w := logWrite{data: data, ack: make(chan error, 1)}
	select {
	case l.in <- w:
	case <-l.quit:
		return errLogClosed
	}
	select {
	case err := <-w.ack:
		return err
	case <-l.done:
		return errLogClosed
	}
}

func (l *durableLog) run() {
	defer close(l.done)
	var buf []byte
	var acks []chan error
	for {
		buf, acks = buf[:0], acks[:0]
		select {
		case w := <-l.in:
			buf, acks = append(buf, w.data...), append(acks, w.ack)
		case <-l.quit:
			return
		}
	group:
		for {
			select {
			case w := <-l.in:
				buf, acks = append(buf, w.data...), append(acks, w.ack)
			default:
				break group
			}
		}
		_, err := l.f.Write(buf)
		if err == nil {
			err = l.sync()
		}
		for _, ack := range acks {
			ack <- err
		}
	}
}

// Close stops the log and removes its file; after the first call it does
// nothing.
func (l *durableLog) Close() error {
	var err error
	l.close.Do(func() {
		close(l.quit)
		<-l.done
		err = l.f.Close()
		if rmErr := os.Remove(l.f.Name()); err == nil {
			err = rmErr
		}
	})
	return err
}
