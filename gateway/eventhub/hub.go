package eventhub

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

// Upstream opens the chaincode-event stream from startBlock (nil: the next
// block to commit). The channel must be closed when the stream ends; the
// stream must stop when ctx ends. A [ledger.Ledger] adapts as
//
//	func(ctx context.Context, start *uint64) (<-chan ledger.Event, error) {
//		return l.Events(ctx, identity, start)
//	}
type Upstream func(ctx context.Context, startBlock *uint64) (<-chan ledger.Event, error)

// Position locates an event: its block and its index among this
// chaincode's events in that block, from 0.
type Position struct {
	Block uint64
	Index int
}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.Block < q.Block:
		return -1
	case p.Block > q.Block:
		return 1
	case p.Index < q.Index:
		return -1
	case p.Index > q.Index:
		return 1
	}
	return 0
}

// String renders "block:index".
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Block, p.Index) }

// next is the position just after p.
func (p Position) next() Position { return Position{p.Block, p.Index + 1} }

// Event is a chaincode event and its position.
type Event struct {
	ledger.Event
	// Index is the event's index among this chaincode's events in its block.
	Index int
}

// Position returns the event's position.
func (e Event) Position() Position { return Position{e.BlockNumber, e.Index} }

// Errors.
var (
	// ErrTooManySubscribers: Options.MaxSubscribers subscribers already (answer 429).
	ErrTooManySubscribers = errors.New("eventhub: too many subscribers")
	// ErrTooOld: the starting point is older than the buffer; see TooOldError.
	ErrTooOld = errors.New("eventhub: starting point no longer buffered")
	// ErrSlowSubscriber: the subscriber fell a whole buffer behind and was dropped.
	ErrSlowSubscriber = errors.New("eventhub: subscriber too slow, dropped")
	// ErrClosed: the hub is closed (a subscription ended by Hub.Close reports it too).
	ErrClosed = errors.New("eventhub: closed")
	// ErrUpstreamClosed is passed to Options.OnUpstreamError when the upstream channel closes.
	ErrUpstreamClosed = errors.New("eventhub: upstream stream ended")
	// ErrInvalid: a bad option or argument; the message names it.
	ErrInvalid = errors.New("eventhub: invalid")
)

// TooOldError is returned by Subscribe for a starting point older than the
// buffer. It matches ErrTooOld with errors.Is.
type TooOldError struct {
	// Requested is the first position the subscriber asked for.
	Requested Position
	// Oldest is the oldest position the hub can serve, when OldestKnown
	// (it is not known while a live stream has not yet received an event).
	Oldest      Position
	OldestKnown bool
}

func (e *TooOldError) Error() string {
	if !e.OldestKnown {
		return fmt.Sprintf("eventhub: position %s not buffered (the shared stream has no events yet)", e.Requested)
	}
	return fmt.Sprintf("eventhub: position %s not buffered (oldest is %s)", e.Requested, e.Oldest)
}

// Is makes errors.Is(err, ErrTooOld) hold.
func (e *TooOldError) Is(target error) bool { return target == ErrTooOld }

// Defaults.
const (
	DefaultMaxSubscribers   = 256
	DefaultBufferEvents     = 4096
	DefaultSubscriberBuffer = 64
	DefaultLinger           = time.Minute
	DefaultBackoffMin       = 500 * time.Millisecond
	DefaultBackoffMax       = 30 * time.Second
)

// Options configures a Hub. Zero values take the defaults.
type Options struct {
	// MaxSubscribers caps subscribers (default 256).
	MaxSubscribers int
	// BufferEvents is the ring buffer's size in events (default 4,096).
	BufferEvents int
	// SubscriberBuffer is each subscriber's channel capacity (default 64).
	SubscriberBuffer int
	// Linger is how long the upstream stays open after the last subscriber
	// leaves, keeping the buffer for clients that reconnect (default 1 min;
	// negative: stop at once).
	Linger time.Duration
	// BackoffMin and BackoffMax bound the reconnect delay (defaults 500 ms
	// and 30 s).
	BackoffMin, BackoffMax time.Duration
	// OnUpstreamError, if set, is told of each upstream failure (for logs).
	// It runs on the hub's goroutine and must not block.
	OnUpstreamError func(error)
}

func (o Options) withDefaults() (Options, error) {
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"MaxSubscribers", &o.MaxSubscribers, DefaultMaxSubscribers},
		{"BufferEvents", &o.BufferEvents, DefaultBufferEvents},
		{"SubscriberBuffer", &o.SubscriberBuffer, DefaultSubscriberBuffer},
	}
	for _, f := range ints {
		if *f.v < 0 {
			return o, fmt.Errorf("%w: Options.%s must not be negative, got %d", ErrInvalid, f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.Linger == 0 {
		o.Linger = DefaultLinger
	}
	if o.BackoffMin < 0 || o.BackoffMax < 0 {
		return o, fmt.Errorf("%w: Options.BackoffMin and BackoffMax must not be negative", ErrInvalid)
	}
	if o.BackoffMin == 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffMin)
	}
	if o.BackoffMax < o.BackoffMin {
		return o, fmt.Errorf("%w: Options.BackoffMax (%s) is below BackoffMin (%s)", ErrInvalid, o.BackoffMax, o.BackoffMin)
	}
	return o, nil
}

// Stats is a snapshot for metrics.
type Stats struct {
	// Subscribers is the current number of subscribers.
	Subscribers int
	// Buffered is the number of events in the ring.
	Buffered int
	// Running: the shared stream is wanted (subscribers, or lingering);
	// Connected: it is open now.
	Running, Connected bool
	// Connects counts upstream calls that succeeded; Failures counts failed
	// calls and streams that ended; Dropped counts slow subscribers dropped.
	Connects, Failures, Dropped uint64
}

// Hub fans one upstream stream out to subscribers. Create with New.
type Hub struct {
	up   Upstream
	opts Options

	mu     sync.Mutex
	closed bool
	subs   map[*Subscription]struct{}
	run    *run // nil while idle

	// The ring holds the events with sequence numbers [tail, head).
	ring       []Event
	tail, head uint64
	// Every event at or after low is in the ring or still to come (lowKnown
	// is false while a live stream has received nothing).
	low      Position
	lowKnown bool
	// last is the newest event received (lastKnown once there is one).
	last      Position
	lastKnown bool
	// notify is closed (and replaced) when an event is appended.
	notify chan struct{}

	lingerGen   uint64
	lingerTimer *time.Timer

	connected                   bool
	connects, failures, dropped uint64

	wg sync.WaitGroup
}

// run is one lifetime of the shared stream.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
	start  *uint64
}

// New makes an idle hub; nothing runs until the first Subscribe.
func New(up Upstream, opts Options) (*Hub, error) {
	if up == nil {
		return nil, fmt.Errorf("%w: nil Upstream", ErrInvalid)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Hub{up: up, opts: opts, subs: map[*Subscription]struct{}{}, notify: make(chan struct{})}, nil
}

// SubscribeOptions says where a subscription starts and what it receives.
// At most one of From and After may be set; with neither, the subscription
// starts at the next event the hub receives.
type SubscribeOptions struct {
	// From is the first block to deliver.
	From *uint64
	// After is the last event already delivered (the SSE Last-Event-ID).
	After *Position
	// Filter, if set, selects the events to deliver. It runs on the
	// subscription's goroutine and must not call Subscription.Close.
	Filter func(Event) bool
}

// Subscription is one subscriber's stream.
type Subscription struct {
	h      *Hub
	out    chan Event
	done   chan struct{} // closed when the subscription ends
	exited chan struct{} // closed when its goroutine has returned
	filter func(Event) bool
	// first is the first position to deliver (hasFirst: one was asked for).
	first    Position
	hasFirst bool
	stopCtx  func() bool

	// Guarded by h.mu.
	cursor uint64 // sequence number of the next event to read from the ring
	ended  bool
	reason error
}

// Events returns the subscription's channel. It is closed when the
// subscription ends, after the events already in it; Err then says why.
func (s *Subscription) Events() <-chan Event { return s.out }

// Err says why the subscription ended: nil (Close), the context's error,
// ErrSlowSubscriber or ErrClosed. It is nil while the subscription runs.
func (s *Subscription) Err() error {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	return s.reason
}

// Close ends the subscription and waits for its goroutine. It is idempotent.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	s.h.endLocked(s, nil)
	s.h.idleLocked()
	s.h.mu.Unlock()
	<-s.exited
}

// Subscribe adds a subscriber. The subscription also ends when ctx ends.
// It fails with ErrTooManySubscribers at the cap, a *TooOldError when the
// starting point is no longer buffered, or ErrClosed.
func (h *Hub) Subscribe(ctx context.Context, o SubscribeOptions) (*Subscription, error) {
	if o.From != nil && o.After != nil {
		return nil, fmt.Errorf("%w: set SubscribeOptions.From or After, not both", ErrInvalid)
	}
	if o.After != nil && (o.After.Index < 0 || o.After.Index == math.MaxInt) {
		return nil, fmt.Errorf("%w: SubscribeOptions.After.Index must be in [0, MaxInt), got %d", ErrInvalid, o.After.Index)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Subscription{h: h, out: make(chan Event, h.opts.SubscriberBuffer), done: make(chan struct{}),
		exited: make(chan struct{}), filter: o.Filter}
	switch {
	case o.From != nil:
		s.first, s.hasFirst = Position{Block: *o.From}, true
	case o.After != nil:
		s.first, s.hasFirst = o.After.next(), true
	}

	h.mu.Lock()
	if err := h.admitLocked(s); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	h.wg.Add(1)
	go h.pump(s)
	h.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		h.mu.Lock()
		h.endLocked(s, ctx.Err())
		h.idleLocked()
		h.mu.Unlock()
	})
	h.mu.Lock()
	s.stopCtx = stop
	if s.ended {
		stop()
	}
	h.mu.Unlock()
	return s, nil
}

// admitLocked places s in the stream, starting the upstream if idle.
func (h *Hub) admitLocked(s *Subscription) error {
	if h.closed {
		return ErrClosed
	}
	if len(h.subs) >= h.opts.MaxSubscribers {
		return fmt.Errorf("%w (limit %d)", ErrTooManySubscribers, h.opts.MaxSubscribers)
	}
	switch {
	case h.run == nil:
		var start *uint64
		if s.hasFirst {
			b := s.first.Block
			start = &b
		}
		h.startLocked(start)
		s.cursor = h.head
	case !s.hasFirst:
		s.cursor = h.head
	case !h.lowKnown || s.first.Compare(h.low) < 0:
		return &TooOldError{Requested: s.first, Oldest: h.low, OldestKnown: h.lowKnown}
	default:
		// The first buffered event at or after s.first (or head).
		n := uint64(len(h.ring))
		i := sort.Search(int(h.head-h.tail), func(i int) bool {
			return h.ring[(h.tail+uint64(i))%n].Position().Compare(s.first) >= 0
		})
		s.cursor = h.tail + uint64(i)
	}
	h.lingerGen++
	if h.lingerTimer != nil {
		h.lingerTimer.Stop()
		h.lingerTimer = nil
	}
	h.subs[s] = struct{}{}
	return nil
}

// endLocked ends s with reason (nil: closed by its owner).
func (h *Hub) endLocked(s *Subscription, reason error) {
	if s.ended {
		return
	}
	s.ended, s.reason = true, reason
	close(s.done)
	if s.stopCtx != nil {
		s.stopCtx()
	}
	delete(h.subs, s)
}

// idleLocked stops the upstream after the linger once no subscriber is left.
func (h *Hub) idleLocked() {
	if h.run == nil || h.closed || len(h.subs) > 0 || h.lingerTimer != nil {
		return
	}
	if h.opts.Linger < 0 {
		h.stopLocked()
		return
	}
	h.lingerGen++
	gen := h.lingerGen
	h.lingerTimer = time.AfterFunc(h.opts.Linger, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.lingerGen == gen && len(h.subs) == 0 {
			h.lingerTimer = nil
			h.stopLocked()
		}
	})
}

// startLocked starts a new lifetime of the shared stream at start.
func (h *Hub) startLocked(start *uint64) {
	r := &run{start: start}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	h.run = r
	h.ring = make([]Event, h.opts.BufferEvents)
	h.tail = h.head
	h.lastKnown = false
	h.low, h.lowKnown = Position{}, false
	if start != nil {
		h.low, h.lowKnown = Position{Block: *start}, true
	}
	h.wg.Add(1)
	go h.runUpstream(r)
}

// stopLocked stops the shared stream and frees the buffer.
func (h *Hub) stopLocked() {
	if h.run == nil {
		return
	}
	h.run.cancel()
	h.run = nil
	h.ring = nil
	h.tail = h.head
	h.connected = false
}

// Close stops the upstream, ends every subscription with ErrClosed and
// waits for the hub's goroutines.
func (h *Hub) Close() error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		if h.lingerTimer != nil {
			h.lingerTimer.Stop()
		}
		for s := range h.subs {
			h.endLocked(s, ErrClosed)
		}
		h.stopLocked()
	}
	h.mu.Unlock()
	h.wg.Wait()
	return nil
}

// Stats reports the hub's state.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Subscribers: len(h.subs), Buffered: int(h.head - h.tail), Running: h.run != nil,
		Connected: h.connected, Connects: h.connects, Failures: h.failures, Dropped: h.dropped}
}

// runUpstream keeps the shared stream connected until r is stopped.
func (h *Hub) runUpstream(r *run) {
	defer h.wg.Done()
	backoff := h.opts.BackoffMin
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d := backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, h.opts.BackoffMax)
			t := time.NewTimer(d)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		h.mu.Lock()
		if h.run != r {
			h.mu.Unlock()
			return
		}
		// Resume at the last block received, skipping what we have of it.
		start, have, haveAny := r.start, h.last, h.lastKnown
		if haveAny {
			b := have.Block
			start = &b
		}
		h.mu.Unlock()

		ch, err := h.up(r.ctx, start)
		if r.ctx.Err() != nil {
			return
		}
		if err == nil && ch == nil {
			err = errors.New("upstream returned no channel")
		}
		if err != nil {
			h.failed(r, fmt.Errorf("eventhub: connect: %w", err))
			continue
		}
		h.mu.Lock()
		if h.run == r {
			h.connected = true
			h.connects++
		}
		h.mu.Unlock()
		if h.consume(r, ch, have, haveAny) {
			backoff = h.opts.BackoffMin
		}
		if r.ctx.Err() != nil {
			return
		}
		h.failed(r, ErrUpstreamClosed)
	}
}

func (h *Hub) failed(r *run, err error) {
	h.mu.Lock()
	if h.run == r {
		h.connected = false
		h.failures++
	}
	h.mu.Unlock()
	if h.opts.OnUpstreamError != nil {
		h.opts.OnUpstreamError(err)
	}
}

// consume appends the stream's events until it ends or r stops, skipping
// events at or before have (when haveAny). It reports whether it appended.
func (h *Hub) consume(r *run, ch <-chan ledger.Event, have Position, haveAny bool) bool {
	appended := false
	var cur Position
	started := false
	for {
		var ev ledger.Event
		var ok bool
		select {
		case <-r.ctx.Done():
			return appended
		case ev, ok = <-ch:
			if !ok {
				return appended
			}
		}
		switch {
		case started && ev.BlockNumber == cur.Block:
			cur.Index++
		case started && ev.BlockNumber < cur.Block:
			// Blocks go backwards: not a stream we can index. Reconnect.
			return appended
		default:
			cur, started = Position{Block: ev.BlockNumber}, true
		}
		if haveAny && cur.Compare(have) <= 0 {
			continue
		}
		h.mu.Lock()
		if h.run != r {
			h.mu.Unlock()
			return appended
		}
		h.appendLocked(Event{Event: ev, Index: cur.Index})
		h.mu.Unlock()
		appended = true
	}
}

// appendLocked adds ev to the ring, evicting the oldest event and dropping
// the subscribers that had not read it yet.
func (h *Hub) appendLocked(ev Event) {
	n := uint64(len(h.ring))
	dropped := false
	if h.head-h.tail == n {
		old := h.ring[h.tail%n]
		h.ring[h.tail%n] = Event{}
		h.tail++
		h.low, h.lowKnown = old.Position().next(), true
		for s := range h.subs {
			if s.cursor < h.tail {
				h.dropped++
				h.endLocked(s, ErrSlowSubscriber)
				dropped = true
			}
		}
	}
	h.ring[h.head%n] = ev
	h.head++
	h.last, h.lastKnown = ev.Position(), true
	if !h.lowKnown {
		// A live stream covers from the first block it delivered.
		h.low, h.lowKnown = Position{Block: ev.BlockNumber}, true
	}
	close(h.notify)
	h.notify = make(chan struct{})
	if dropped {
		h.idleLocked() // the last subscriber may have been dropped
	}
}

// pump feeds s from the ring until s ends.
func (h *Hub) pump(s *Subscription) {
	defer h.wg.Done()
	defer close(s.exited)
	defer close(s.out)
	for {
		h.mu.Lock()
		for !s.ended && s.cursor == h.head {
			wake := h.notify
			h.mu.Unlock()
			select {
			case <-wake:
			case <-s.done:
			}
			h.mu.Lock()
		}
		if s.ended {
			h.mu.Unlock()
			return
		}
		ev := h.ring[s.cursor%uint64(len(h.ring))]
		s.cursor++
		h.mu.Unlock()

		if s.hasFirst {
			if ev.Position().Compare(s.first) < 0 {
				continue
			}
			s.hasFirst = false // positions only grow from here
		}
		if s.filter != nil && !s.filter(ev) {
			continue
		}
		select {
		case s.out <- ev:
		case <-s.done:
			return
		}
	}
}
