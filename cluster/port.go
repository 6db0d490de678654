package cluster

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// What a connection to the cluster's port carries: its first byte says.
const (
	connRaft    byte = 'R' // Raft's RPCs
	connCall    byte = 'C' // the cluster's calls (calls.go)
	connRestore byte = 'S' // a snapshot's state sent to the leader (restore.go)
)

// handshakeTimeout bounds a new connection's TLS handshake and first byte.
const handshakeTimeout = 10 * time.Second

// Port is a node's cluster port: one TCP listener for Raft's traffic and
// the cluster's calls, under mutual TLS unless it was opened insecure.
type Port struct {
	ln        net.Listener
	tls       *tls.Config // nil: plain TCP (--cluster-insecure)
	advertise raft.ServerAddress
	log       *slog.Logger

	raft     chan net.Conn
	calls    chan net.Conn
	restores chan net.Conn
	done     chan struct{}
	once     sync.Once

	mu   sync.Mutex
	open map[net.Conn]bool // handed out, closed with the port
}

// Listen opens the cluster port on addr. advertise is the address other
// nodes dial (addr when empty; it must not be an unspecified address such
// as 0.0.0.0). With tlsConfig nil the port is plain TCP, for loopback
// tests only.
func Listen(addr, advertise string, tlsConfig *tls.Config, log *slog.Logger) (*Port, error) {
	if advertise == "" {
		advertise = addr
	}
	host, port, err := net.SplitHostPort(advertise)
	if err != nil {
		return nil, fmt.Errorf("cluster address %q: %w", advertise, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return nil, fmt.Errorf("cluster address %q is not one other nodes can dial: give --raft-advertise", advertise)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on the cluster port %s: %w", addr, err)
	}
	if port == "0" { // tests: the port the system chose
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		advertise = net.JoinHostPort(host, p)
	}
	p := &Port{
		ln: ln, tls: tlsConfig, advertise: raft.ServerAddress(advertise), log: log,
		raft: make(chan net.Conn), calls: make(chan net.Conn), restores: make(chan net.Conn), done: make(chan struct{}),
	}
	go p.accept()
	return p, nil
}

// Addr is the address other nodes dial.
func (p *Port) Addr() raft.ServerAddress { return p.advertise }

// Close closes the listener and every connection it accepted.
func (p *Port) Close() error {
	var err error
	p.once.Do(func() {
		close(p.done)
		err = p.ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for c := range p.open {
			c.Close()
		}
	})
	return err
}

// track keeps conn to be closed with the port; false if it is closed.
func (p *Port) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return false
	default:
	}
	if p.open == nil {
		p.open = make(map[net.Conn]bool)
	}
	p.open[conn] = true
	return true
}

// trackedConn forgets itself when it is closed.
type trackedConn struct {
	net.Conn
	p *Port
}

func (c trackedConn) Close() error {
	c.p.mu.Lock()
	delete(c.p.open, c.Conn)
	c.p.mu.Unlock()
	return c.Conn.Close()
}

func (p *Port) accept() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			select {
			case <-p.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			p.log.Error("cluster: accepting a connection", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go p.route(conn)
	}
}

// route finishes a new connection's handshake and hands it to whoever its
// first byte names.
func (p *Port) route(conn net.Conn) {
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if p.tls != nil {
		tc := tls.Server(conn, p.tls)
		if err := tc.Handshake(); err != nil {
			p.log.Warn("cluster: refused a connection", "remote", conn.RemoteAddr().String(), "err", err)
			conn.Close()
			return
		}
		conn = tc
	}
	var kind [1]byte
	if _, err := io.ReadFull(conn, kind[:]); err != nil {
		conn.Close()
		return
	}
	conn.SetDeadline(time.Time{})
	if !p.track(conn) {
		conn.Close()
		return
	}
	conn = trackedConn{conn, p}
	to := p.raft
	switch kind[0] {
	case connRaft:
	case connCall:
		to = p.calls
	case connRestore:
		to = p.restores
	default:
		p.log.Warn("cluster: refused a connection of an unknown kind", "remote", conn.RemoteAddr().String(), "kind", kind[0])
		conn.Close()
		return
	}
	select {
	case to <- conn:
	case <-p.done:
		conn.Close()
	}
}

// dial opens a connection of kind to the node at addr.
func (p *Port) dial(addr string, kind byte, timeout time.Duration) (net.Conn, error) {
	return dial(addr, kind, p.tls, timeout)
}

// dial opens a connection of kind to the node at addr, under mutual TLS
// with tlsConfig, or plain TCP when it is nil.
func dial(addr string, kind byte, tlsConfig *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if tlsConfig != nil {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, fmt.Errorf("cluster TLS with %s: %w", addr, err)
		}
		conn = tc
	}
	if _, err := conn.Write([]byte{kind}); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// listener is one kind of the port's connections, as a net.Listener.
type listener struct {
	p     *Port
	conns chan net.Conn
}

func (l listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.p.done:
		return nil, net.ErrClosed
	}
}

func (l listener) Close() error   { return l.p.Close() }
func (l listener) Addr() net.Addr { return advertised(l.p.advertise) }

// advertised is the address other nodes dial, as a net.Addr: Raft takes
// its own address from its stream layer's.
type advertised string

func (a advertised) Network() string { return "tcp" }
func (a advertised) String() string  { return string(a) }

// raftLayer is the port as Raft's stream layer.
type raftLayer struct{ listener }

func (l raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return l.p.dial(string(addr), connRaft, timeout)
}

// StreamLayer returns the port as Raft's network transport sees it.
func (p *Port) StreamLayer() raft.StreamLayer { return raftLayer{listener{p, p.raft}} }

// callListener returns the listener of the cluster's calls.
func (p *Port) callListener() net.Listener { return listener{p, p.calls} }

// restoreListener returns the listener of the restores sent to this node.
func (p *Port) restoreListener() net.Listener { return listener{p, p.restores} }
