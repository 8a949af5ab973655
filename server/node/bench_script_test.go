package node

import "testing"

// BenchmarkScript measures EVALSHA and FCALL of redis.call('INCR', KEYS[1]) through the dispatcher, without
// the network, next to plain INCR: the cost a script adds to one command.
func BenchmarkScript(b *testing.B) {
	c := benchClient(b)
	c.execute(bs("SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"))
	c.execute(bs("FUNCTION", "LOAD", "#!lua name=bench\nredis.register_function('incr', function(keys) return redis.call('INCR', keys[1]) end)"))
	runBenchCommands(b, c, []benchCommand{
		{"incr", bs("INCR", "counter")},
		{"evalsha", bs("EVALSHA", "61636018f4e6b5817b89791bbed242f93fa089e3", "1", "counter")},
		{"fcall", bs("FCALL", "incr", "1", "counter")},
		{"eval", bs("EVAL", "return redis.call('INCR', KEYS[1])", "1", "counter")},
	})
}
