package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	sdk "github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// TxAnatomy is what one committed transaction carries, read from its
// block: sizes, endorsements and, per chaincode namespace, the keys it
// read and wrote.
type TxAnatomy struct {
	TxID  string `json:"txId"`
	Block uint64 `json:"block"`
	// BlockTxs and BlockBytes are the whole block's.
	BlockTxs   int `json:"blockTxs"`
	BlockBytes int `json:"blockBytes"`
	// EnvelopeBytes is the transaction as ordered; RWSetBytes its
	// read-write set; ResponseBytes the chaincode's answer; EventBytes its
	// chaincode event.
	EnvelopeBytes int         `json:"envelopeBytes"`
	RWSetBytes    int         `json:"rwsetBytes"`
	ResponseBytes int         `json:"responseBytes"`
	EventBytes    int         `json:"eventBytes"`
	Endorsements  int         `json:"endorsements"`
	Namespaces    []NsAnatomy `json:"namespaces"`
	// Function is the chaincode function called; Validation the
	// transaction's validation code in the block.
	Function   string `json:"function,omitempty"`
	Validation string `json:"validation,omitempty"`
}

// NsAnatomy is one namespace's part of a read-write set.
type NsAnatomy struct {
	Namespace      string `json:"namespace"`
	Reads          int    `json:"reads"`
	RangeQueries   int    `json:"rangeQueries"`
	Writes         int    `json:"writes"` // deletes included
	Deletes        int    `json:"deletes"`
	MetadataWrites int    `json:"metadataWrites"`
	KeyBytes       int    `json:"keyBytes"`
	ValueBytes     int    `json:"valueBytes"`
	MetadataBytes  int    `json:"metadataBytes"`
	// Types splits the writes by the object type of their composite keys
	// (yrd.out, yrd.pay…; "(plain)" for keys that are not composite).
	Types []TypeAnatomy `json:"types"`
}

// TypeAnatomy counts the writes to keys of one object type.
type TypeAnatomy struct {
	Type   string `json:"type"`
	Writes int    `json:"writes"`
	// Existing counts writes to keys the transaction read at a committed
	// version: their key-level policy, if any, is evaluated at validation.
	Existing       int `json:"existing"`
	Deletes        int `json:"deletes"`
	MetadataWrites int `json:"metadataWrites"`
	ValueBytes     int `json:"valueBytes"`
}

// FetchBlockByTxID returns the block holding txID, through the peer's
// query system chaincode (qscc, GetBlockByTxID, open to the channel's
// readers); qscc is the contract of the "qscc" chaincode on any network.
func FetchBlockByTxID(ctx context.Context, qscc *sdk.Contract, channel, txID string) ([]byte, error) {
	return qscc.EvaluateWithContext(ctx, "GetBlockByTxID", sdk.WithArguments(channel, txID))
}

// DescribeTx finds txID in the serialized block and describes it.
func DescribeTx(blockBytes []byte, txID string) (TxAnatomy, error) {
	var b common.Block
	if err := proto.Unmarshal(blockBytes, &b); err != nil {
		return TxAnatomy{}, fmt.Errorf("profile: block: %w", err)
	}
	a := TxAnatomy{TxID: txID, Block: b.GetHeader().GetNumber(), BlockTxs: len(b.GetData().GetData()), BlockBytes: len(blockBytes)}
	var flags []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		flags = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	for i, envBytes := range b.GetData().GetData() {
		var env common.Envelope
		if err := proto.Unmarshal(envBytes, &env); err != nil {
			continue
		}
		var pl common.Payload
		if err := proto.Unmarshal(env.GetPayload(), &pl); err != nil {
			continue
		}
		var ch common.ChannelHeader
		if err := proto.Unmarshal(pl.GetHeader().GetChannelHeader(), &ch); err != nil || ch.GetTxId() != txID {
			continue
		}
		a.EnvelopeBytes = len(envBytes)
		if i < len(flags) {
			a.Validation = peer.TxValidationCode(flags[i]).String()
		}
		return a, describeEndorserTx(&a, pl.GetData())
	}
	return a, fmt.Errorf("profile: transaction %s is not in block %d", txID, a.Block)
}

func describeEndorserTx(a *TxAnatomy, data []byte) error {
	var tx peer.Transaction
	if err := proto.Unmarshal(data, &tx); err != nil {
		return fmt.Errorf("profile: transaction: %w", err)
	}
	if len(tx.GetActions()) == 0 {
		return errors.New("profile: transaction has no action")
	}
	var cap peer.ChaincodeActionPayload
	if err := proto.Unmarshal(tx.GetActions()[0].GetPayload(), &cap); err != nil {
		return fmt.Errorf("profile: chaincode action payload: %w", err)
	}
	a.Endorsements = len(cap.GetAction().GetEndorsements())
	var spec peer.ChaincodeProposalPayload
	if err := proto.Unmarshal(cap.GetChaincodeProposalPayload(), &spec); err == nil {
		var in peer.ChaincodeInvocationSpec
		if err := proto.Unmarshal(spec.GetInput(), &in); err == nil {
			if args := in.GetChaincodeSpec().GetInput().GetArgs(); len(args) > 0 {
				a.Function = string(args[0])
			}
		}
	}
	var prp peer.ProposalResponsePayload
	if err := proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), &prp); err != nil {
		return fmt.Errorf("profile: proposal response payload: %w", err)
	}
	var act peer.ChaincodeAction
	if err := proto.Unmarshal(prp.GetExtension(), &act); err != nil {
		return fmt.Errorf("profile: chaincode action: %w", err)
	}
	a.RWSetBytes = len(act.GetResults())
	a.ResponseBytes = len(act.GetResponse().GetPayload())
	a.EventBytes = len(act.GetEvents())
	var txrw rwset.TxReadWriteSet
	if err := proto.Unmarshal(act.GetResults(), &txrw); err != nil {
		return fmt.Errorf("profile: read-write set: %w", err)
	}
	for _, ns := range txrw.GetNsRwset() {
		var kv kvrwset.KVRWSet
		if err := proto.Unmarshal(ns.GetRwset(), &kv); err != nil {
			return fmt.Errorf("profile: read-write set of %s: %w", ns.GetNamespace(), err)
		}
		a.Namespaces = append(a.Namespaces, describeNs(ns.GetNamespace(), &kv))
	}
	return nil
}

func describeNs(name string, kv *kvrwset.KVRWSet) NsAnatomy {
	n := NsAnatomy{Namespace: name, Reads: len(kv.GetReads()), RangeQueries: len(kv.GetRangeQueriesInfo()),
		Writes: len(kv.GetWrites()), MetadataWrites: len(kv.GetMetadataWrites())}
	existing := map[string]bool{}
	for _, r := range kv.GetReads() {
		if r.GetVersion() != nil {
			existing[r.GetKey()] = true
		}
	}
	types := map[string]*TypeAnatomy{}
	typ := func(key string) *TypeAnatomy {
		t := objectType(key)
		if types[t] == nil {
			types[t] = &TypeAnatomy{Type: t}
		}
		return types[t]
	}
	for _, w := range kv.GetWrites() {
		t := typ(w.GetKey())
		t.Writes++
		t.ValueBytes += len(w.GetValue())
		n.KeyBytes += len(w.GetKey())
		n.ValueBytes += len(w.GetValue())
		if w.GetIsDelete() {
			n.Deletes++
			t.Deletes++
		}
		if existing[w.GetKey()] {
			t.Existing++
		}
	}
	for _, m := range kv.GetMetadataWrites() {
		t := typ(m.GetKey())
		t.MetadataWrites++
		for _, e := range m.GetEntries() {
			n.MetadataBytes += len(e.GetName()) + len(e.GetValue())
		}
	}
	for _, t := range types {
		n.Types = append(n.Types, *t)
	}
	sort.Slice(n.Types, func(i, j int) bool { return n.Types[i].Type < n.Types[j].Type })
	return n
}

// objectType is a composite key's object type ("\x00yrd.out\x00…" →
// "yrd.out"), or "(plain)".
func objectType(key string) string {
	if !strings.HasPrefix(key, "\x00") {
		return "(plain)"
	}
	t, _, _ := strings.Cut(key[1:], "\x00")
	return t
}

// WriteText renders the anatomy.
func (a TxAnatomy) WriteText(w io.Writer) {
	fmt.Fprintf(w, "transaction %s (%s), block %d (%d transactions, %d bytes), %s\n", a.TxID, a.Function, a.Block, a.BlockTxs, a.BlockBytes, a.Validation)
	fmt.Fprintf(w, "  envelope %d bytes: read-write set %d, chaincode answer %d, event %d; %d endorsements\n",
		a.EnvelopeBytes, a.RWSetBytes, a.ResponseBytes, a.EventBytes, a.Endorsements)
	for _, ns := range a.Namespaces {
		fmt.Fprintf(w, "  namespace %s: %d reads, %d range queries, %d writes (%d deletes), %d key-level policy writes; keys %d bytes, values %d bytes, policies %d bytes\n",
			ns.Namespace, ns.Reads, ns.RangeQueries, ns.Writes, ns.Deletes, ns.MetadataWrites, ns.KeyBytes, ns.ValueBytes, ns.MetadataBytes)
		for _, t := range ns.Types {
			fmt.Fprintf(w, "    %-12s %d writes (%d of existing keys, %d deletes), %d policy writes, values %d bytes\n",
				t.Type, t.Writes, t.Existing, t.Deletes, t.MetadataWrites, t.ValueBytes)
		}
	}
}
