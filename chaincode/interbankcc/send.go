package interbankcc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/interbank"
	"github.com/yangtze-delta/settlement/chaincode/token"
	"github.com/yangtze-delta/settlement/money"
)

// PutRemittance records a transfer's remittance details in the private
// collection of the payer's and payee's provinces. It writes nothing else,
// so the collection's endorsement policy (a peer of either province) is
// the only one checked and the payer's province endorses it alone: the
// details never reach a third province's peer.
func (c *Contract) PutRemittance(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.PutRemittance, request, func(c call, r api.RemittanceRequest) (api.RemittanceReceipt, error) {
		var none api.RemittanceReceipt
		if api.NamespaceOf(r.ID) != c.Caller.Bank {
			return none, api.Errorf(api.CodeForbidden, "transfer ID %s is not in the caller's bank's namespace (%s:…)", r.ID, c.Caller.Bank)
		}
		payee, err := c.st.Account(r.To)
		if err != nil {
			return none, err
		}
		tm, err := c.Stub.GetTransient()
		if err != nil {
			return none, api.Internal(err, "read transient map")
		}
		details, salt := tm[api.TransientRemittance], tm[api.TransientRemittanceSalt]
		if len(details) == 0 || len(details) > api.MaxRemittanceBytes {
			return none, api.Errorf(api.CodeInvalidArgument, "the transient remittance must be 1 to %d bytes", api.MaxRemittanceBytes)
		}
		if len(salt) < 16 || len(salt) > 64 {
			return none, api.Errorf(api.CodeInvalidArgument, "the transient salt must be 16 to 64 bytes")
		}
		coll := api.CollectionBilateral(c.Caller.MSPID, payee.OwnerMSP)
		b, err := json.Marshal(api.Remittance{ID: r.ID, Details: string(details), Salt: hex.EncodeToString(salt)})
		if err != nil {
			return none, api.Internal(err, "encode remittance")
		}
		if err := c.Stub.PutPrivateData(coll, remittanceKey(r.ID), b); err != nil {
			return none, api.Internal(err, "write the remittance to %s", coll)
		}
		sum := sha256.Sum256(b)
		return api.RemittanceReceipt{ID: r.ID, Collection: coll, Hash: hex.EncodeToString(sum[:])}, nil
	})
}

// Send records an interbank transfer and settles it gross at once when it
// is due (its value date is today and settlement is open), the named
// inputs cover it and nothing of equal or higher priority waits in the
// payer's queue; otherwise it queues. Reusing a transfer ID fails with
// DUPLICATE_PAYMENT.
func (c *Contract) Send(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.SendTransfer, request, func(c call, r api.SendRequest) (api.InterbankTransfer, error) {
		return c.send(r, &sendBatch{})
	})
}

// SendBatch sends up to api.MaxBatchItems transfers in one transaction.
// Each item is exactly a Send over the state the items before it left
// (the token overlay, and the transfers queued earlier in the batch for
// the queue rule); a refused item is reported with its code and writes
// nothing; only an internal failure aborts the whole transaction.
func (c *Contract) SendBatch(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.SendBatch, request, func(c call, r api.SendBatchRequest) (api.SendBatchResult, error) {
		b := &sendBatch{}
		res := api.SendBatchResult{Results: make([]api.SendItemResult, 0, len(r.Items))}
		for _, item := range r.Items {
			t, err := c.send(item, b)
			switch code := api.CodeOf(err); {
			case err == nil:
				if t.Status == api.TransferSettled {
					res.Settled++
				} else {
					res.Queued++
				}
				res.Results = append(res.Results, api.SendItemResult{ID: item.ID, OK: true, Transfer: &t})
			case code == api.CodeInternal:
				return api.SendBatchResult{}, err
			default:
				res.Rejected++
				res.Results = append(res.Results, api.SendItemResult{ID: item.ID, Code: code, Message: api.MessageOf(err)})
			}
		}
		return res, nil
	})
}

// sendBatch is what one transaction's sends know of each other: the
// transfers queued so far (range reads of the queue see only committed
// keys) and how many items came before.
type sendBatch struct {
	queued []entry
	n      int
}

// send checks one transfer completely before its first write, so that a
// refused item of a batch leaves no trace.
func (c call) send(r api.SendRequest, b *sendBatch) (api.InterbankTransfer, error) {
	var none api.InterbankTransfer
	if err := r.Validate(); err != nil {
		return none, err
	}
	payer, err := c.st.OwnedAccount(r.From)
	if err != nil {
		return none, err
	}
	if api.NamespaceOf(r.ID) != payer.Bank {
		return none, api.Errorf(api.CodeForbidden, "transfer ID %s is not in the paying bank's namespace (%s:…)", r.ID, payer.Bank)
	}
	if err := usable(payer, true); err != nil {
		return none, err
	}
	payee, err := c.settlementAccount(r.To, false)
	if err != nil {
		return none, err
	}
	if payee.Bank == payer.Bank {
		return none, api.Errorf(api.CodeInvalidArgument, "an interbank transfer goes to another bank")
	}
	_, k, err := c.transfer(r.ID)
	if err == nil {
		return none, api.Errorf(api.CodeDuplicatePayment, "transfer ID %s was used before", r.ID)
	} else if api.CodeOf(err) != api.CodeNotFound {
		return none, err
	}
	cal, err := c.calendar()
	if err != nil {
		return none, err
	}
	vd, err := interbank.CheckValueDate(cal, r.ValueDate, c.Time)
	if err != nil {
		return none, err
	}
	if r.RemittanceHash != "" {
		if err := c.checkRemittance(r.ID, payer.OwnerMSP, payee.OwnerMSP, r.RemittanceHash); err != nil {
			return none, err
		}
	}
	t := api.InterbankTransfer{ID: r.ID, From: payer.ID, To: payee.ID, FromBank: payer.Bank, ToBank: payee.Bank,
		FromMSP: payer.OwnerMSP, ToMSP: payee.OwnerMSP, Amount: r.Amount, Priority: r.Priority, ValueDate: vd,
		RemittanceHash: r.RemittanceHash, Status: api.TransferQueued, Seq: seqOf(c.Time, c.TxID, b.n), QueuedAt: c.Time, TxID: c.TxID}
	var in []api.Output
	var total money.Amount
	gross := false
	if len(r.Inputs) > 0 && interbank.Due(cal, vd, c.Time) {
		if in, total, err = c.plainInputs(payer.ID, r.Inputs); err != nil {
			return none, err
		}
		blocked, err := c.waiting(payer.ID, t.Priority, cal, b)
		if err != nil {
			return none, err
		}
		gross = !blocked && total >= t.Amount
	}
	// Writes. Failures from here on are internal.
	b.n++
	dk, err := c.st.Key(nsDay, vd, t.ID)
	if err != nil {
		return none, err
	}
	if err := c.st.PutJSON(dk, entryOf(t), nil); err != nil {
		return none, err
	}
	if gross {
		return c.gross(k, t, in, total, payee.OwnerMSP)
	}
	if err := c.putTransfer(k, t); err != nil {
		return none, err
	}
	if err := c.enqueue(t, stateQueued); err != nil {
		return none, err
	}
	b.queued = append(b.queued, entryOf(t))
	c.emit(api.EventQueued, t)
	return t, nil
}

// checkRemittance compares hash with the public hash of the transfer's
// remittance record in the two provinces' collection, which every peer
// holds whether or not it is a member.
func (c call) checkRemittance(id, fromMSP, toMSP, hash string) error {
	coll := api.CollectionBilateral(fromMSP, toMSP)
	h, err := c.Stub.GetPrivateDataHash(coll, remittanceKey(id))
	if err != nil {
		return api.Internal(err, "read the remittance hash in %s", coll)
	}
	if hex.EncodeToString(h) != hash {
		return api.Errorf(api.CodeInvalidArgument, "no remittance record of transfer %s with hash %s in %s (PutRemittance first)", id, hash, coll)
	}
	return nil
}

// waiting reports whether a transfer of priority or higher, due now, waits
// in account's queue (committed, or queued earlier in this transaction). It reads the queue in order and stops at the first
// entry that decides (a range read: a transfer queued concurrently makes
// this transaction fail validation, never settle past it).
func (c call) waiting(account, priority string, cal api.Calendar, b *sendBatch) (bool, error) {
	mine := api.PriorityRank(priority)
	for _, e := range b.queued {
		if e.From == account && interbank.Due(cal, e.ValueDate, c.Time) && api.PriorityRank(e.Priority) <= mine {
			return true, nil // queued earlier in this transaction
		}
	}
	blocked := false
	truncated, err := scan(c, nsQueue, []string{account, stateQueued}, api.MaxCycleScan, func(_ []string, e entry) (bool, error) {
		if e.ValueDate > api.BusinessDate(c.Time) {
			return false, nil // later value dates sort after today's
		}
		if interbank.Due(cal, e.ValueDate, c.Time) && api.PriorityRank(e.Priority) <= mine {
			blocked = true
			return false, nil
		}
		return true, nil
	})
	return blocked || truncated, err
}

// gross settles t at once from in (total covers it), change back to the
// payer.
func (c call) gross(k string, t api.InterbankTransfer, in []api.Output, total money.Amount, payeeMSP string) (api.InterbankTransfer, error) {
	tx := c.st.Tx()
	sp := token.Spend{Delete: in, Create: []api.Output{token.NewOutput(tx, t.To, t.Amount, nil)}}
	if change := total - t.Amount; change > 0 {
		sp.Create = append(sp.Create, token.NewOutput(tx, t.From, change, nil))
	}
	owners := func(acct string) string {
		if acct == t.To {
			return payeeMSP
		}
		return t.FromMSP
	}
	if err := c.st.ApplySpend(sp, owners); err != nil {
		return t, err
	}
	return c.settled(k, t, "")
}

// Cancel withdraws a queued or held transfer (the payer's bank).
func (c *Contract) Cancel(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.CancelTransfer, request, func(c call, r api.TransferAction) (api.InterbankTransfer, error) {
		t, k, err := c.waitingTransfer(r.ID, api.TransferQueued, api.TransferHeld)
		if err != nil {
			return t, err
		}
		if err := c.dequeue(t); err != nil {
			return t, err
		}
		t.Status = api.TransferCancelled
		if err := c.putTransfer(k, t); err != nil {
			return t, err
		}
		c.emit(api.EventCancelled, t)
		return t, nil
	})
}

// Reprioritise changes a queued or held transfer's priority; it keeps its
// place in enqueue order within the new priority.
func (c *Contract) Reprioritise(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Reprioritise, request, func(c call, r api.ReprioritiseRequest) (api.InterbankTransfer, error) {
		t, k, err := c.waitingTransfer(r.ID, api.TransferQueued, api.TransferHeld)
		if err != nil || t.Priority == r.Priority {
			return t, err
		}
		return c.requeue(k, t, func(t *api.InterbankTransfer) { t.Priority = r.Priority })
	})
}

// Hold takes a queued transfer out of settlement until released.
func (c *Contract) Hold(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.HoldTransfer, request, func(c call, r api.TransferAction) (api.InterbankTransfer, error) {
		t, k, err := c.waitingTransfer(r.ID, api.TransferQueued)
		if err != nil {
			return t, err
		}
		return c.requeue(k, t, func(t *api.InterbankTransfer) { t.Status = api.TransferHeld })
	})
}

// Release puts a held transfer back in the queue at its original place.
func (c *Contract) Release(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.ReleaseTransfer, request, func(c call, r api.TransferAction) (api.InterbankTransfer, error) {
		t, k, err := c.waitingTransfer(r.ID, api.TransferHeld)
		if err != nil {
			return t, err
		}
		return c.requeue(k, t, func(t *api.InterbankTransfer) { t.Status = api.TransferQueued })
	})
}

// waitingTransfer loads a transfer of the caller's bank in one of statuses
// (NOT_QUEUED otherwise).
func (c call) waitingTransfer(id string, statuses ...string) (api.InterbankTransfer, string, error) {
	t, k, err := c.payerOnly(id)
	if err != nil {
		return t, k, err
	}
	for _, s := range statuses {
		if t.Status == s {
			return t, k, nil
		}
	}
	return t, k, api.Errorf(api.CodeNotQueued, "transfer %s is %s", id, t.Status)
}

// requeue moves t's queue key after change (status or priority).
func (c call) requeue(k string, t api.InterbankTransfer, change func(*api.InterbankTransfer)) (api.InterbankTransfer, error) {
	if err := c.dequeue(t); err != nil {
		return t, err
	}
	change(&t)
	state := stateQueued
	if t.Status == api.TransferHeld {
		state = stateHeld
	}
	if err := c.enqueue(t, state); err != nil {
		return t, err
	}
	if err := c.putTransfer(k, t); err != nil {
		return t, err
	}
	c.emit(api.EventQueued, t)
	return t, nil
}
