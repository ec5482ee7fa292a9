package ledger

// A submit that the Fabric Gateway reports failed although the orderers
// ordered the transaction (BFT, fabric #4415), through the real SDK against
// a fake Gateway service: the gateway must look the transaction up by its
// ID and report the commit.

import (
	"context"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gwproto "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// bftGateway endorses anything and orders every submitted transaction, but
// answers each submit as the pinned peer does when two of four BFT
// orderers had already ordered it (bftRefusal). CommitStatus answers VALID
// for a transaction it ordered and waits otherwise, as the peer does.
type bftGateway struct {
	gwproto.UnimplementedGatewayServer

	mu       sync.Mutex
	ordered  map[string]uint64 // transaction ID → block
	submits  int
	statuses []*gwproto.CommitStatusRequest
}

func (g *bftGateway) Endorse(_ context.Context, req *gwproto.EndorseRequest) (*gwproto.EndorseResponse, error) {
	env, err := preparedEnvelope(req.GetChannelId(), req.GetTransactionId(), []byte(`{"paymentId":"p1"}`))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &gwproto.EndorseResponse{PreparedTransaction: env}, nil
}

func (g *bftGateway) Submit(_ context.Context, req *gwproto.SubmitRequest) (*gwproto.SubmitResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.submits++
	if len(req.GetPreparedTransaction().GetSignature()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	}
	if _, ok := g.ordered[req.GetTransactionId()]; !ok {
		g.ordered[req.GetTransactionId()] = uint64(10 + len(g.ordered))
	}
	return nil, bftRefusal()
}

func (g *bftGateway) CommitStatus(ctx context.Context, sr *gwproto.SignedCommitStatusRequest) (*gwproto.CommitStatusResponse, error) {
	var req gwproto.CommitStatusRequest
	if err := proto.Unmarshal(sr.GetRequest(), &req); err != nil || len(sr.GetSignature()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "bad or unsigned commit status request")
	}
	g.mu.Lock()
	g.statuses = append(g.statuses, &req)
	block, ok := g.ordered[req.GetTransactionId()]
	g.mu.Unlock()
	if !ok {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &gwproto.CommitStatusResponse{Result: peer.TxValidationCode_VALID, BlockNumber: block}, nil
}

// preparedEnvelope is the smallest endorsed transaction the SDK accepts:
// channel header and one action carrying the chaincode's result.
func preparedEnvelope(channel, txID string, result []byte) (*common.Envelope, error) {
	chdr, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: channel, TxId: txID})
	if err != nil {
		return nil, err
	}
	ext, err := proto.Marshal(&peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}})
	if err != nil {
		return nil, err
	}
	prp, err := proto.Marshal(&peer.ProposalResponsePayload{Extension: ext})
	if err != nil {
		return nil, err
	}
	action, err := proto.Marshal(&peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	if err != nil {
		return nil, err
	}
	tx, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Payload: action}}})
	if err != nil {
		return nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: tx})
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payload}, nil
}

func TestSubmitRefusedButOrderedOnBFT(t *testing.T) {
	g := &bftGateway{ordered: map[string]uint64{}}
	f := serveGateway(t, g, "ShanghaiMSP")
	c, err := f.Submit(context.Background(), "bank", "token:Transfer", []string{"{}"}, nil, SubmitOptions{})
	require.NoError(t, err, "the transaction was ordered: the payment committed")
	require.Equal(t, `{"paymentId":"p1"}`, string(c.Result))
	require.Equal(t, uint64(10), c.BlockNumber)
	require.Zero(t, c.Resubmits, "found by its ID, not sent again")

	g.mu.Lock()
	defer g.mu.Unlock()
	require.Equal(t, 1, g.submits)
	require.Len(t, g.statuses, 1)
	st := g.statuses[0]
	require.Equal(t, c.TxID, st.GetTransactionId())
	require.Equal(t, f.channel, st.GetChannelId())
	var id msp.SerializedIdentity
	require.NoError(t, proto.Unmarshal(st.GetIdentity(), &id))
	require.Equal(t, "ShanghaiMSP", id.GetMspid(), "asked as the gateway's identity")
}
