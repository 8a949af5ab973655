// Package difftest compares Carmine with a real redis-server: it starts redis-server on a loopback port, talks
// RESP to both servers, and reports the first reply that differs, with the command and both replies.
//
// A test that needs redis-server calls [StartRedis]. When redis-server is not installed the test is skipped
// with a clear message, unless the environment variable CARMINE_REQUIRE_REDIS is set (CI sets it), in which
// case the test fails.
package difftest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carminedb/carmine/resp"
)

// RequireEnv is the environment variable that turns a missing redis-server from a skip into a failure.
const RequireEnv = "CARMINE_REQUIRE_REDIS"

// Redis is a real redis-server process started for one test; it is stopped when the test ends.
type Redis struct {
	Addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// StartRedis starts redis-server on a free 127.0.0.1 port, without persistence, with extra redis-server
// arguments appended ("--requirepass", "x"). It waits until the server answers PING, at most 10 seconds.
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	return StartRedisConf(t, "", extra...)
}

// StartRedisConf is StartRedis with a configuration file, which redis-server reads before the arguments (and
// CONFIG REWRITE writes); none when conf is "".
func StartRedisConf(t testing.TB, conf string, extra ...string) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("redis-server is not installed, and %s is set: tests against real Redis must run", RequireEnv)
		}
		t.Skipf("redis-server is not installed: skipping a test against real Redis (install redis-server, or set %s to make this a failure)", RequireEnv)
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		r := &Redis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: new(bytes.Buffer)}
		var args []string
		if conf != "" {
			args = []string{conf}
		}
		args = append(args, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", t.TempDir(), "--daemonize", "no", "--logfile", "")
		args = append(args, extra...)
		r.cmd = exec.Command(bin, args...)
		r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
		if err := r.cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { r.cmd.Wait(); close(exited) }()
		if lastErr = waitReady(r.Addr, exited); lastErr == nil {
			t.Cleanup(func() {
				r.cmd.Process.Kill()
				<-exited
			})
			return r
		}
		r.cmd.Process.Kill()
		<-exited
		lastErr = fmt.Errorf("%w; redis-server said: %s", lastErr, r.log.String())
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady dials addr until it answers, the process exits, or 10 seconds pass.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited", addr)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer within 10s", addr)
}

// Conn is a RESP connection to a server under test. Its methods fail the test on I/O errors.
type Conn struct {
	t    testing.TB
	conn net.Conn
	r    *resp.Reader
	w    *resp.Writer
}

// Dial connects to addr; the connection is closed when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &Conn{t: t, conn: nc, r: resp.NewReader(nc), w: resp.NewWriter(nc)}
}

// Send writes one command without reading its reply.
func (c *Conn) Send(args ...string) {
	c.t.Helper()
	c.w.WriteArrayLen(len(args))
	for _, a := range args {
		c.w.WriteBulkString(a)
	}
	if err := c.w.Flush(); err != nil {
		c.t.Fatalf("send %q: %v", args, err)
	}
}

// SendRaw writes bytes as they are.
func (c *Conn) SendRaw(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("send raw: %v", err)
	}
}

// Receive reads one reply, waiting at most 10 seconds.
func (c *Conn) Receive() resp.Value {
	c.t.Helper()
	v, err := c.ReceiveErr(10 * time.Second)
	if err != nil {
		c.t.Fatalf("receive: %v", err)
	}
	return v
}

// ReceiveErr reads one reply, returning the error (io.EOF once the server closed the connection).
func (c *Conn) ReceiveErr(timeout time.Duration) (resp.Value, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	return c.r.ReadValue()
}

// Do sends one command and returns its reply.
func (c *Conn) Do(args ...string) resp.Value {
	c.t.Helper()
	c.Send(args...)
	return c.Receive()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }

// Format renders a reply as one line of text that shows its type and content, for comparisons and messages:
// `"PONG"` is a simple string, `(error) ERR ...`, `(integer) 5`, `"v"` quoted bulks, `(nil)`, `[a, b]` arrays,
// `{k: v}` maps, `~[...]` sets, `>[...]` pushes, `(double) 1.5`, `(bool) true`.
func Format(v resp.Value) string {
	var b strings.Builder
	format(&b, v)
	return b.String()
}

func format(b *strings.Builder, v resp.Value) {
	switch v.Type {
	case resp.TypeSimple:
		fmt.Fprintf(b, "+%s", v.Str)
	case resp.TypeError:
		fmt.Fprintf(b, "(error) %s", v.Str)
	case resp.TypeBulkError:
		fmt.Fprintf(b, "(bulk error) %s", v.Str)
	case resp.TypeInt:
		fmt.Fprintf(b, "(integer) %d", v.Int)
	case resp.TypeBulk:
		if v.Null {
			b.WriteString("(nil bulk)")
		} else {
			fmt.Fprintf(b, "%q", v.Str)
		}
	case resp.TypeNull:
		b.WriteString("(null)")
	case resp.TypeDouble:
		fmt.Fprintf(b, "(double) %s", v.Str)
	case resp.TypeBool:
		fmt.Fprintf(b, "(bool) %t", v.Int != 0)
	case resp.TypeBigNumber:
		fmt.Fprintf(b, "(big) %s", v.Str)
	case resp.TypeVerbatim:
		fmt.Fprintf(b, "(verbatim %s) %q", v.Format, v.Str)
	case resp.TypeArray, resp.TypeSet, resp.TypePush:
		if v.Null {
			b.WriteString("(nil array)")
			return
		}
		open := map[resp.Type]string{resp.TypeArray: "[", resp.TypeSet: "~[", resp.TypePush: ">["}[v.Type]
		b.WriteString(open)
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, e)
		}
		b.WriteString("]")
	case resp.TypeMap, resp.TypeAttribute:
		b.WriteString("{")
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, v.Elems[i])
			b.WriteString(": ")
			format(b, v.Elems[i+1])
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "(type %q)", byte(v.Type))
	}
}
