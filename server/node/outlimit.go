package node

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// client-output-buffer-limit: a client whose unwritten output passes its class's hard limit, or stays above its
// soft limit for soft-seconds, is closed, so that a client that does not read (a slow subscriber) cannot grow
// the server's memory without bound. The limits are checked where output builds up: as pushed frames
// (pub/sub messages, MONITOR) gather, and before the replies of each batch of commands are written.

// outputLimit is one class's limits, in bytes and seconds; 0 turns a limit off.
type outputLimit struct {
	Hard, Soft  int64
	SoftSeconds int64
}

// The client classes of client-output-buffer-limit, in the order CONFIG GET lists them.
const (
	classNormal = iota
	classReplica
	classPubSub
)

var outputClassNames = [...]string{"normal", "slave", "pubsub"}

// defaultOutputLimits are Redis's.
var defaultOutputLimits = [3]outputLimit{
	classNormal:  {},
	classReplica: {256 << 20, 64 << 20, 60},
	classPubSub:  {32 << 20, 8 << 20, 60},
}

// outputLimitParam is the client-output-buffer-limit parameter: groups of class hard soft soft-seconds, each
// changing only its class.
var outputLimitParam = param{
	name:  "client-output-buffer-limit",
	flags: words,
	set: func(c *Config, v []string) error {
		if len(v)%4 != 0 || len(v) == 0 {
			return errors.New("Wrong number of arguments in buffer limit configuration.")
		}
		limits := c.OutputLimits
		for i := 0; i < len(v); i += 4 {
			class := -1
			switch strings.ToLower(v[i]) {
			case "normal":
				class = classNormal
			case "slave", "replica":
				class = classReplica
			case "pubsub":
				class = classPubSub
			default:
				return errors.New("Invalid client class specified in buffer limit configuration.")
			}
			hard, err1 := parseMemory(v[i+1])
			soft, err2 := parseMemory(v[i+2])
			secs, err3 := strconv.ParseInt(v[i+3], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil || hard < 0 || soft < 0 || secs < 0 {
				return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
			}
			limits[class] = outputLimit{hard, soft, secs}
		}
		c.OutputLimits = limits
		return nil
	},
	get: func(c *Config) string {
		var parts []string
		for i, l := range c.OutputLimits {
			parts = append(parts, fmt.Sprintf("%s %d %d %d", outputClassNames[i], l.Hard, l.Soft, l.SoftSeconds))
		}
		return strings.Join(parts, " ")
	},
	// Matches Redis: a line per class, in units; a class at its default is written only into a line the file had.
	rewrite: func(c, def *Config) []paramLine {
		var out []paramLine
		for i, l := range c.OutputLimits {
			out = append(out, paramLine{fmt.Sprintf("%s %s %s %d", rewriteClassNames[i], formatMemory(l.Hard),
				formatMemory(l.Soft), l.SoftSeconds), l != def.OutputLimits[i]})
		}
		return out
	},
}

// rewriteClassNames are the class names CONFIG REWRITE writes (CONFIG GET says "slave").
var rewriteClassNames = [...]string{"normal", "replica", "pubsub"}

// replyBufferBytes is the size of Redis's per-client static reply buffer (PROTO_REPLY_CHUNK_BYTES), which its
// output limits do not count.
const replyBufferBytes = 16 << 10

// overOutputLimit checks size, the client's unwritten output, against its class's limits and closes the client
// when it is over them, reporting whether it did. Safe from any goroutine.
func (c *client) overOutputLimit(size int) bool {
	class := classNormal
	if clientFlags(c.pub.flags.Load())&flagPubSub != 0 {
		class = classPubSub
	}
	l := c.srv.outputLimits.Load()[class]
	// Matches Redis: what fits its 16 KB static reply buffer is not counted, only what goes beyond it.
	n := max(int64(size)-replyBufferBytes, 0)
	over := l.Hard > 0 && n >= l.Hard
	if !over && l.Soft > 0 && n >= l.Soft {
		now := c.srv.clock.Load()
		since := c.softSince.Load()
		if since == 0 {
			c.softSince.Store(now)
		} else {
			over = now-since >= l.SoftSeconds*1000
		}
	} else if !over && c.softSince.Load() != 0 {
		c.softSince.Store(0)
	}
	if !over {
		return false
	}
	if c.outputKilled.CompareAndSwap(false, true) {
		c.srv.stats.outputKills.Add(1)
		c.srv.log.Warn("client scheduled to be closed for overcoming of output buffer limits", "client-id", c.id,
			"addr", c.addr, "class", outputClassNames[class], "bytes", n)
		c.kill(c)
	}
	return true
}
