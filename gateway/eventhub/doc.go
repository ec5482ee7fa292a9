// Package eventhub shares one upstream chaincode-event stream (the peer's
// ChaincodeEvents, through [ledger.Ledger.Events]) among all of a gateway's
// event subscribers (the SSE clients), instead of opening one peer stream per
// client.
//
// # The shared stream
//
// The [Hub] starts its [Upstream] when the first subscriber arrives, from the
// block that subscriber asked for (or from the next block to commit when it
// asked for none), and stops it when the last subscriber has gone and
// [Options.Linger] has passed with no new one. When the upstream fails to
// connect, or its channel closes, the hub reconnects with bounded
// exponential backoff ([Options.BackoffMin] doubling up to
// [Options.BackoffMax], with jitter) from the block of the last event it
// received, skipping the events of that block it already has: a stream that
// broke between two events of one block leaves no gap and no duplicate.
//
// Each [Event] carries its [Position] (block, index among this chaincode's
// events in the block), computed by the hub from the full upstream stream,
// so it is stable across reconnects and independent of subscriber filters:
// it is what the SSE layer uses as the event ID.
//
// # Subscribing and resuming
//
// [Hub.Subscribe] takes a starting point: nothing (live: the next event the
// hub receives), [SubscribeOptions.From] (a block, inclusive), or
// [SubscribeOptions.After] (an event position, exclusive; the SSE
// Last-Event-ID). The hub keeps the most recent [Options.BufferEvents]
// events in a ring buffer; a subscriber may start anywhere the buffer still
// covers. A starting point older than the buffer fails with a
// [*TooOldError] (errors.Is [ErrTooOld]) that names the oldest position the
// hub can serve; the caller then opens a dedicated replay stream (see
// below). While the hub is idle, the first subscriber's starting point is
// where the shared stream starts, so it is never too old.
//
// A [SubscribeOptions.Filter] decides which events a subscriber receives; it
// runs on the subscriber's own goroutine, so a slow filter delays only that
// subscriber.
//
// # Bounds and behaviour at each limit
//
//   - Subscribers: at most [Options.MaxSubscribers] (default 256); one more
//     gets [ErrTooManySubscribers] (the HTTP layer answers 429).
//   - Buffer: the ring holds [Options.BufferEvents] events (default 4,096;
//     payloads are shared, not copied). Older ones are evicted; starting
//     points before the oldest buffered event get [ErrTooOld].
//   - Slow subscribers: each subscriber has a channel of
//     [Options.SubscriberBuffer] events (default 64) fed from the ring by its
//     own goroutine. A subscriber whose next unread event is about to be
//     evicted from the ring (it is [Options.BufferEvents] events behind) is
//     dropped: its channel is closed after the events already in it, and
//     [Subscription.Err] reports [ErrSlowSubscriber]. The hub never waits
//     for a subscriber, so one slow client cannot delay the others.
//   - Upstream: one stream per hub, whatever the number of subscribers;
//     reconnect delays are bounded by BackoffMax; an idle hub (no
//     subscribers after the linger) holds no stream and no buffer.
//   - Goroutines: one for the upstream while it runs, plus one per
//     subscriber; [Hub.Close] and [Subscription.Close] wait for theirs.
//
// # Too old: recommendation
//
// Answering ErrTooOld with 410 would take away the catch-up that back
// offices use after an outage (Last-Event-ID or fromBlock far in the past).
// The recommended handling is a dedicated replay stream opened directly on
// the ledger from the requested block, under its own small cap (a few
// streams per gateway, 429 beyond it), so that catch-ups stay possible but
// bounded.
//
// # Gaps the hub cannot close
//
// When the shared stream started without a block (live) and failed before
// its first event, the hub reconnects live again: events committed during
// the outage are not seen, and the buffer's coverage starts at the first
// event received after it (resumes before that get ErrTooOld, never a silent
// gap).
//
// A Hub and its Subscriptions are safe for concurrent use. Events'
// payloads are shared between subscribers and must not be modified.
package eventhub
