/*
 * Caliper workload: YRD payments, the same as yrd-bench's sdk:distinct
 * scenario. Each payment is a token:Transfer that names its input: a
 * payer's first payment spends the output it was funded with, every later
 * one the change its previous payment left. The payers (accounts, funded
 * outputs, payment ID prefixes, signing identities) come from the JSON
 * file that `yrd-bench -payers FILE` wrote (roundArguments.payersFile);
 * worker w of n takes every payer i with i mod n = w.
 *
 * A payer has one payment in flight at a time (its next input is the
 * change of the previous one): the round's fixed-load rate controller
 * keeps as many transactions in flight as there are payers
 * (transactionLoad = the number of payers), so a free payer is there
 * whenever Caliper asks for a transaction. A payment that failed left its
 * input unspent, so the payer's next payment spends it again.
 */
'use strict';

const fs = require('fs');
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

class TransferWorkload extends WorkloadModuleBase {
    async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
        await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
        const file = JSON.parse(fs.readFileSync(roundArguments.payersFile, 'utf8'));
        this.channel = file.channel;
        this.chaincode = file.chaincode;
        this.fn = file.function;
        this.free = file.payers
            .filter((_, i) => i % totalWorkers === workerIndex)
            .map(p => Object.assign({ seq: 0 }, p));
        if (this.free.length === 0) {
            throw new Error(`worker ${workerIndex}: no payers in ${roundArguments.payersFile}`);
        }
        this.waiting = [];
    }

    // acquire takes a free payer, waiting for one when all are busy.
    acquire() {
        if (this.free.length > 0) {
            return Promise.resolve(this.free.shift());
        }
        return new Promise(resolve => this.waiting.push(resolve));
    }

    release(payer) {
        const next = this.waiting.shift();
        if (next) {
            next(payer);
        } else {
            this.free.push(payer);
        }
    }

    async submitTransaction() {
        const p = await this.acquire();
        // Payment IDs are unique per payer, round and sequence number.
        const req = {
            paymentId: `${p.paymentPrefix}r${this.roundIndex}-${p.seq++}`,
            from: p.from,
            to: p.to,
            amount: p.amount,
            inputs: [p.output],
        };
        try {
            const status = await this.sutAdapter.sendRequests({
                channel: this.channel,
                contractId: this.chaincode,
                contractFunction: this.fn,
                contractArguments: [JSON.stringify(req)],
                invokerMspId: p.mspId,
                invokerIdentity: `${p.province}-${p.user}`,
                readOnly: false,
            });
            if (status.GetStatus() === 'success') {
                const payment = JSON.parse(Buffer.from(status.GetResult()).toString('utf8'));
                if (Array.isArray(payment.changeOutputs) && payment.changeOutputs.length > 0) {
                    p.output = payment.changeOutputs[0];
                }
            }
        } finally {
            this.release(p);
        }
    }
}

function createWorkloadModule() {
    return new TransferWorkload();
}

module.exports.createWorkloadModule = createWorkloadModule;
