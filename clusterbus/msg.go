package clusterbus

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes of the fixed parts of the bus format (all integers are big-endian).
const (
	NameLen   = 40   // a node name (its ID): 40 hex digits, not NUL-terminated
	IPLen     = 46   // an IP address field, NUL-padded (INET6_ADDRSTRLEN)
	HeaderLen = 2256 // the header every message starts with
	GossipLen = 104  // one gossip section of PING, PONG and MEET
	FailLen   = NameLen
	UpdateLen = 8 + NameLen + Slots/8
	extHdrLen = 8 // an extension's length, type and padding
	// Version is the protocol version of the header's ver field; Redis ignores messages of other versions.
	Version = 1
)

// Type is a message type.
type Type uint16

// The message types of the cluster bus.
const (
	TypePing                Type = 0
	TypePong                Type = 1
	TypeMeet                Type = 2
	TypeFail                Type = 3
	TypePublish             Type = 4
	TypeFailoverAuthRequest Type = 5
	TypeFailoverAuthAck     Type = 6
	TypeUpdate              Type = 7
	TypeMFStart             Type = 8
	TypeModule              Type = 9
	TypePublishShard        Type = 10
)

var typeNames = [...]string{"ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update",
	"mfstart", "module", "publishshard"}

// String returns the name CLUSTER INFO uses for the type in its cluster_stats_messages_* fields.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type%d", uint16(t))
}

// NodeFlags are the flags of a node, in a header (the sender's) and in gossip sections.
type NodeFlags uint16

// The node flags.
const (
	FlagMaster     NodeFlags = 1 << 0
	FlagSlave      NodeFlags = 1 << 1
	FlagPFail      NodeFlags = 1 << 2
	FlagFail       NodeFlags = 1 << 3
	FlagMyself     NodeFlags = 1 << 4
	FlagHandshake  NodeFlags = 1 << 5
	FlagNoAddr     NodeFlags = 1 << 6
	FlagMeet       NodeFlags = 1 << 7
	FlagMigrateTo  NodeFlags = 1 << 8
	FlagNoFailover NodeFlags = 1 << 9
)

// Message flags of the header's first MFlags byte.
const (
	MFlag0Paused   = 1 << 0 // the sender's clients are paused for a manual failover
	MFlag0ForceAck = 1 << 1 // FAILOVER_AUTH_REQUEST: vote even though the primary is not failing
	MFlag0ExtData  = 1 << 2 // PING, PONG, MEET: extensions follow the gossip sections
)

// The cluster states of the header's State field.
const (
	StateOK   = 0
	StateFail = 1
)

// ExtType is the type of a ping extension.
type ExtType uint16

// The ping extensions of Redis 7.
const (
	ExtHostname      ExtType = 0 // cluster-announce-hostname
	ExtHumanNodename ExtType = 1 // cluster-announce-human-nodename (7.2)
	ExtForgottenNode ExtType = 2 // CLUSTER FORGET: a node to forget for TTL seconds
	ExtShardID       ExtType = 3 // the sender's shard ID (7.2)
)

// Errors of [Decode].
var (
	ErrSignature = errors.New("clusterbus: bad signature")
	ErrVersion   = errors.New("clusterbus: unsupported protocol version")
	ErrLength    = errors.New("clusterbus: bad message length")
)

// SlotBitmap is a bitmap of the hash slots a node serves, bit s%8 of byte s/8 for slot s.
type SlotBitmap [Slots / 8]byte

// Has reports whether slot s is set.
func (b *SlotBitmap) Has(s int) bool { return b[s>>3]&(1<<(s&7)) != 0 }

// Set sets slot s.
func (b *SlotBitmap) Set(s int) { b[s>>3] |= 1 << (s & 7) }

// Clear clears slot s.
func (b *SlotBitmap) Clear(s int) { b[s>>3] &^= 1 << (s & 7) }

// Header is the part of a message that every type has: who sent it and what the sender believes about itself.
type Header struct {
	Type         Type
	Port         uint16 // the sender's client port (its TLS port when it uses TLS)
	PPort        uint16 // the sender's plain-text port when Port is a TLS port, else 0
	CPort        uint16 // the sender's bus port
	CurrentEpoch uint64
	ConfigEpoch  uint64 // of the sender, or of its primary when it is a replica
	Offset       uint64 // the sender's replication offset
	Sender       string // the sender's name: NameLen bytes
	MySlots      SlotBitmap
	SlaveOf      string // the sender's primary, "" when it is a primary (all zero bytes on the wire)
	MyIP         string // the sender's announced IP, "" to let the receiver use the connection's address
	Flags        NodeFlags
	State        uint8   // StateOK or StateFail, as the sender sees the cluster
	MFlags       [3]byte // MFlag0*
}

// Gossip is what a PING, PONG or MEET says about one other node.
type Gossip struct {
	Name         string
	PingSent     uint32 // Unix seconds of the last PING the sender sent to the node, 0 if none is pending
	PongReceived uint32 // Unix seconds of the last PONG the sender received from the node
	IP           string
	Port         uint16
	CPort        uint16
	PPort        uint16
	Flags        NodeFlags
}

// Ext is a ping extension. Name holds the hostname, human nodename, forgotten node or shard ID; TTL the
// seconds a forgotten node stays forgotten; Data the payload of a type this package does not know.
type Ext struct {
	Type ExtType
	Name string
	TTL  uint64
	Data []byte
}

// Message is a decoded cluster bus message: the [Header] and the body of its type.
type Message struct {
	Header
	Gossip []Gossip // PING, PONG, MEET
	Exts   []Ext    // PING, PONG, MEET, when MFlags[0] has MFlag0ExtData

	Node string // FAIL: the failing node; UPDATE: the node whose slots changed

	Channel, Payload []byte // PUBLISH and PUBLISHSHARD; MODULE: Payload only

	UpdateEpoch uint64     // UPDATE: the node's config epoch
	UpdateSlots SlotBitmap // UPDATE: the node's slots

	ModuleID   uint64 // MODULE
	ModuleType uint8  // MODULE
}

var nullName = make([]byte, NameLen)

// cstring returns the bytes of b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func putName(b []byte, name string) { copy(b[:NameLen], name) }

func getName(b []byte) string {
	if bytes.Equal(b[:NameLen], nullName) {
		return ""
	}
	return string(b[:NameLen])
}

// putCString writes s NUL-padded into b; s is cut to leave room for the NUL.
func putCString(b []byte, s string) {
	n := copy(b[:len(b)-1], s)
	clear(b[n:])
}

// extLen returns the length of extension e on the wire, its 8-byte header included, a multiple of 8.
func extLen(e *Ext) int {
	switch e.Type {
	case ExtHostname, ExtHumanNodename:
		return extHdrLen + align8(len(e.Name)+1)
	case ExtForgottenNode:
		return extHdrLen + NameLen + 8
	case ExtShardID:
		return extHdrLen + NameLen
	}
	return extHdrLen + align8(len(e.Data))
}

func align8(n int) int { return (n + 7) &^ 7 }

// Len returns the length of m on the wire, the totlen field [Message.Append] writes.
func (m *Message) Len() int {
	n := HeaderLen
	switch m.Type {
	case TypePing, TypePong, TypeMeet:
		n += GossipLen * len(m.Gossip)
		for i := range m.Exts {
			n += extLen(&m.Exts[i])
		}
	case TypeFail:
		n += FailLen
	case TypePublish, TypePublishShard:
		n += 8 + len(m.Channel) + len(m.Payload)
	case TypeUpdate:
		n += UpdateLen
	case TypeModule:
		n += 8 + 4 + 1 + len(m.Payload)
	}
	return n
}

// Append appends m in the wire format to dst and returns the extended slice. It writes the signature,
// version, length and counts itself; names longer than NameLen and IPs longer than IPLen-1 bytes are cut.
func (m *Message) Append(dst []byte) []byte {
	total := m.Len()
	start := len(dst)
	dst = append(dst, make([]byte, total)...)
	b := dst[start:]
	be := binary.BigEndian
	copy(b[0:4], "RCmb")
	be.PutUint32(b[4:], uint32(total))
	be.PutUint16(b[8:], Version)
	be.PutUint16(b[10:], m.Port)
	be.PutUint16(b[12:], uint16(m.Type))
	switch m.Type {
	case TypePing, TypePong, TypeMeet:
		be.PutUint16(b[14:], uint16(len(m.Gossip)))
	}
	be.PutUint64(b[16:], m.CurrentEpoch)
	be.PutUint64(b[24:], m.ConfigEpoch)
	be.PutUint64(b[32:], m.Offset)
	putName(b[40:], m.Sender)
	copy(b[80:2128], m.MySlots[:])
	putName(b[2128:], m.SlaveOf)
	putCString(b[2168:2214], m.MyIP)
	if m.Type == TypePing || m.Type == TypePong || m.Type == TypeMeet {
		be.PutUint16(b[2214:], uint16(len(m.Exts)))
	}
	// b[2216:2246] is reserved.
	be.PutUint16(b[2246:], m.PPort)
	be.PutUint16(b[2248:], m.CPort)
	be.PutUint16(b[2250:], uint16(m.Flags))
	b[2252] = m.State
	copy(b[2253:2256], m.MFlags[:])
	body := b[HeaderLen:]
	switch m.Type {
	case TypePing, TypePong, TypeMeet:
		for i := range m.Gossip {
			g, p := &m.Gossip[i], body[i*GossipLen:]
			putName(p, g.Name)
			be.PutUint32(p[40:], g.PingSent)
			be.PutUint32(p[44:], g.PongReceived)
			putCString(p[48:94], g.IP)
			be.PutUint16(p[94:], g.Port)
			be.PutUint16(p[96:], g.CPort)
			be.PutUint16(p[98:], uint16(g.Flags))
			be.PutUint16(p[100:], g.PPort)
		}
		p := body[len(m.Gossip)*GossipLen:]
		for i := range m.Exts {
			e := &m.Exts[i]
			n := extLen(e)
			be.PutUint32(p, uint32(n))
			be.PutUint16(p[4:], uint16(e.Type))
			switch e.Type {
			case ExtHostname, ExtHumanNodename:
				copy(p[extHdrLen:], e.Name)
			case ExtForgottenNode:
				putName(p[extHdrLen:], e.Name)
				be.PutUint64(p[extHdrLen+NameLen:], e.TTL)
			case ExtShardID:
				putName(p[extHdrLen:], e.Name)
			default:
				copy(p[extHdrLen:], e.Data)
			}
			p = p[n:]
		}
	case TypeFail:
		putName(body, m.Node)
	case TypePublish, TypePublishShard:
		be.PutUint32(body, uint32(len(m.Channel)))
		be.PutUint32(body[4:], uint32(len(m.Payload)))
		copy(body[8:], m.Channel)
		copy(body[8+len(m.Channel):], m.Payload)
	case TypeUpdate:
		be.PutUint64(body, m.UpdateEpoch)
		putName(body[8:], m.Node)
		copy(body[8+NameLen:], m.UpdateSlots[:])
	case TypeModule:
		be.PutUint64(body, m.ModuleID)
		be.PutUint32(body[8:], uint32(len(m.Payload)))
		body[12] = m.ModuleType
		copy(body[13:], m.Payload)
	}
	return dst
}

// Decode parses one whole message, b being exactly totlen bytes (see [Reader]). It checks the lengths as
// Redis does: the total must match what the type and its counts imply. A message of a type this package does
// not know decodes to its header alone. The message does not keep references to b.
func Decode(b []byte) (*Message, error) {
	if len(b) < 16 || string(b[:4]) != "RCmb" {
		if len(b) >= 4 && string(b[:4]) != "RCmb" {
			return nil, ErrSignature
		}
		return nil, ErrLength
	}
	be := binary.BigEndian
	if int(be.Uint32(b[4:])) != len(b) {
		return nil, ErrLength
	}
	if be.Uint16(b[8:]) != Version {
		return nil, ErrVersion
	}
	if len(b) < HeaderLen {
		return nil, ErrLength
	}
	m := &Message{Header: Header{
		Port:         be.Uint16(b[10:]),
		Type:         Type(be.Uint16(b[12:])),
		CurrentEpoch: be.Uint64(b[16:]),
		ConfigEpoch:  be.Uint64(b[24:]),
		Offset:       be.Uint64(b[32:]),
		Sender:       getName(b[40:]),
		SlaveOf:      getName(b[2128:]),
		MyIP:         cstring(b[2168:2214]),
		PPort:        be.Uint16(b[2246:]),
		CPort:        be.Uint16(b[2248:]),
		Flags:        NodeFlags(be.Uint16(b[2250:])),
		State:        b[2252],
	}}
	copy(m.MySlots[:], b[80:2128])
	copy(m.MFlags[:], b[2253:2256])
	count := int(be.Uint16(b[14:]))
	body := b[HeaderLen:]
	switch m.Type {
	case TypePing, TypePong, TypeMeet:
		if len(body) < count*GossipLen {
			return nil, ErrLength
		}
		if count > 0 {
			m.Gossip = make([]Gossip, count)
		}
		for i := range m.Gossip {
			p := body[i*GossipLen:]
			m.Gossip[i] = Gossip{
				Name:         getName(p),
				PingSent:     be.Uint32(p[40:]),
				PongReceived: be.Uint32(p[44:]),
				IP:           cstring(p[48:94]),
				Port:         be.Uint16(p[94:]),
				CPort:        be.Uint16(p[96:]),
				Flags:        NodeFlags(be.Uint16(p[98:])),
				PPort:        be.Uint16(p[100:]),
			}
		}
		p := body[count*GossipLen:]
		if m.MFlags[0]&MFlag0ExtData != 0 {
			exts := int(be.Uint16(b[2214:]))
			for range exts {
				if len(p) < extHdrLen {
					return nil, ErrLength
				}
				n := int(be.Uint32(p))
				if n < extHdrLen || n%8 != 0 || n > len(p) {
					return nil, ErrLength
				}
				e := Ext{Type: ExtType(be.Uint16(p[4:]))}
				data := p[extHdrLen:n]
				switch e.Type {
				case ExtHostname, ExtHumanNodename:
					e.Name = cstring(data)
				case ExtForgottenNode:
					if len(data) < NameLen+8 {
						return nil, ErrLength
					}
					e.Name, e.TTL = getName(data), be.Uint64(data[NameLen:])
				case ExtShardID:
					if len(data) < NameLen {
						return nil, ErrLength
					}
					e.Name = getName(data)
				default:
					e.Data = bytes.Clone(data)
				}
				m.Exts = append(m.Exts, e)
				p = p[n:]
			}
		}
		if len(p) != 0 {
			return nil, ErrLength
		}
	case TypeFail:
		if len(body) != FailLen {
			return nil, ErrLength
		}
		m.Node = getName(body)
	case TypePublish, TypePublishShard:
		if len(body) < 8 {
			return nil, ErrLength
		}
		cl, pl := uint64(be.Uint32(body)), uint64(be.Uint32(body[4:]))
		if uint64(len(body)) != 8+cl+pl {
			return nil, ErrLength
		}
		m.Channel = bytes.Clone(body[8 : 8+cl])
		m.Payload = bytes.Clone(body[8+cl : 8+cl+pl])
	case TypeUpdate:
		if len(body) != UpdateLen {
			return nil, ErrLength
		}
		m.UpdateEpoch = be.Uint64(body)
		m.Node = getName(body[8:])
		copy(m.UpdateSlots[:], body[8+NameLen:])
	case TypeModule:
		if len(body) < 13 {
			return nil, ErrLength
		}
		m.ModuleID = be.Uint64(body)
		pl := uint64(be.Uint32(body[8:]))
		m.ModuleType = body[12]
		if uint64(len(body)) != 13+pl {
			return nil, ErrLength
		}
		m.Payload = bytes.Clone(body[13 : 13+pl])
	case TypeFailoverAuthRequest, TypeFailoverAuthAck, TypeMFStart:
		if len(body) != 0 {
			return nil, ErrLength
		}
	}
	return m, nil
}
