// polkadot.js compatibility: every pallet-cmu extrinsic (storage version 1: card CIDs, reward
// weights, AcceptedContributors, reject_contributions, retire_model, attest_version; encryption
// keys and key envelopes: set_encryption_key, publish_version's envelope, set_version_envelope), the CmuApi
// runtime API, the model NFT's attributes, utility.batchAll and Nfts.transfer of a model,
// submitted with @polkadot/api to the live dev chain and checked on chain.
//
// Run: NODE_PATH=~/.cache/cmu/node_modules node --test tests/js/
// (scripts/test.sh does this). The chain URL is $CMU_RPC_URL (default ws://127.0.0.1:9944).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { ApiPromise, WsProvider } = require('@polkadot/api');
const { Keyring } = require('@polkadot/keyring');

const RPC_URL = process.env.CMU_RPC_URL || 'ws://127.0.0.1:9944';
const UNIT = 10n ** 12n;
const ROLE = { ADMIN: 1, CONTRIBUTOR: 2, TRAINER: 4, READER: 8 };

const sha256 = (text) => '0x' + crypto.createHash('sha256').update(text).digest('hex');
const fakeCid = (label) => 'bafkrei' + crypto.createHash('sha256').update(label).digest('hex').slice(0, 52);

// Next nonce per account, counted here: right after a block is announced, chopsticks may
// still answer system_accountNextIndex from the parent state, which would reuse a nonce.
const nonces = new Map();

async function nextNonce(api, signer) {
  if (!nonces.has(signer.address)) {
    nonces.set(signer.address, (await api.rpc.system.accountNextIndex(signer.address)).toNumber());
  }
  const nonce = nonces.get(signer.address);
  nonces.set(signer.address, nonce + 1);
  return nonce;
}

// Signs and submits `tx`, resolves with its events once it is in a block; rejects with the
// decoded module error when the dispatch failed.
async function submit(api, tx, signer) {
  const nonce = await nextNonce(api, signer);
  const label = `${tx.method.section}.${tx.method.method}`;
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    // A transaction that never made it into a block did not use its nonce: ask again.
    const rejectUnincluded = (error) => { nonces.delete(signer.address); reject(error); };
    tx.signAndSend(signer, { nonce }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsubscribe();
        if (dispatchError.isModule) {
          const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${label} failed: ${section}.${name}: ${docs.join(' ')}`));
        } else {
          reject(new Error(`${label} failed: ${dispatchError.toString()}`));
        }
      } else if (status.isInBlock || status.isFinalized) {
        unsubscribe();
        resolve(events.map(({ event }) => event));
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        unsubscribe();
        rejectUnincluded(new Error(`${label}: transaction ${status.type}`));
      }
    })
      .then((unsub) => { unsubscribe = unsub; })
      .catch(rejectUnincluded);
  });
}

function findEvent(events, section, method) {
  const found = events.find((event) => event.section === section && event.method === method);
  assert.ok(found, `expected event ${section}.${method}, got ${events.map((e) => `${e.section}.${e.method}`).join(', ')}`);
  return found;
}

test('polkadot.js submits every pallet-cmu extrinsic', { timeout: 300_000 }, async (t) => {
  const api = await ApiPromise.create({ provider: new WsProvider(RPC_URL), noInitWarn: true });
  t.after(() => api.disconnect());

  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  // Fresh accounts per run, so runs never share nonces or state with other sessions.
  const run = crypto.randomBytes(6).toString('hex');
  const owner = keyring.addFromUri(`//Alice//cmu-js-${run}//owner`);
  const contributor = keyring.addFromUri(`//Alice//cmu-js-${run}//contributor`);
  const trainer = keyring.addFromUri(`//Alice//cmu-js-${run}//trainer`);
  const reader = keyring.addFromUri(`//Alice//cmu-js-${run}//reader`);
  const treasury = keyring.addFromUri(`//Alice//cmu-js-${run}//treasury`);

  await t.test('utility.batchAll funds the accounts', async () => {
    const transfers = [owner, contributor, trainer, reader, treasury].map((pair) =>
      api.tx.balances.transferKeepAlive(pair.address, 1_000n * UNIT));
    await submit(api, api.tx.utility.batchAll(transfers), alice);
    const account = await api.query.system.account(trainer.address);
    assert.equal(account.data.free.toBigInt(), 1_000n * UNIT);
  });

  let model;
  await t.test('create_model', async () => {
    const events = await submit(api, api.tx.cmu.createModel(fakeCid(`spec-${run}`), sha256(`spec-${run}`),
      { visibility: 'Public', contributions: 'Open' }), owner);
    model = findEvent(events, 'cmu', 'ModelCreated').data.model.toNumber();
    const info = (await api.query.cmu.models(model)).unwrap();
    assert.equal(info.metadata.specHash.toHex(), sha256(`spec-${run}`));
    assert.equal(info.depositor.toString(), owner.address);
  });

  await t.test('set_model_metadata', async () => {
    await submit(api, api.tx.cmu.setModelMetadata(model, fakeCid(`spec2-${run}`), sha256(`spec2-${run}`)), owner);
    const info = (await api.query.cmu.models(model)).unwrap();
    assert.equal(info.metadata.specCid.toUtf8(), fakeCid(`spec2-${run}`));
  });

  await t.test('set_access_policy', async () => {
    await submit(api, api.tx.cmu.setAccessPolicy(model, { visibility: 'Permissioned', contributions: 'RoleRequired' }), owner);
    const info = (await api.query.cmu.models(model)).unwrap();
    assert.equal(info.policy.visibility.type, 'Permissioned');
    assert.equal(info.policy.contributions.type, 'RoleRequired');
  });

  await t.test('set_slash_destination (owner only)', async () => {
    const events = await submit(api, api.tx.cmu.setSlashDestination(model, { Account: treasury.address }), owner);
    assert.equal(findEvent(events, 'cmu', 'SlashDestinationSet').data.by.toString(), owner.address);
    const info = (await api.query.cmu.models(model)).unwrap();
    assert.equal(info.slashDestination.asAccount.toString(), treasury.address);
  });

  await t.test('grant_role', async () => {
    await submit(api, api.tx.cmu.grantRole(model, contributor.address, ROLE.CONTRIBUTOR), owner);
    await submit(api, api.tx.cmu.grantRole(model, trainer.address, ROLE.TRAINER), owner);
    await submit(api, api.tx.cmu.grantRole(model, reader.address, ROLE.READER | ROLE.CONTRIBUTOR), owner);
    // A grant records the owner it was made under.
    const grant = (await api.query.cmu.roles(model, trainer.address)).unwrap();
    assert.equal(grant.roles.toJSON(), ROLE.TRAINER);
    assert.equal(grant.owner.toString(), owner.address);
    assert.equal((await api.query.cmu.roles(model, reader.address)).unwrap().roles.toJSON(), ROLE.READER | ROLE.CONTRIBUTOR);
    assert.equal((await api.call.cmuApi.rolesOf(model, trainer.address)).toJSON(), ROLE.TRAINER);
  });

  await t.test('revoke_role', async () => {
    await submit(api, api.tx.cmu.revokeRole(model, reader.address, ROLE.CONTRIBUTOR), owner);
    assert.equal((await api.query.cmu.roles(model, reader.address)).unwrap().roles.toJSON(), ROLE.READER);
  });

  await t.test('freeze_model and thaw_model', async () => {
    const frozen = await submit(api, api.tx.cmu.freezeModel(model), owner);
    assert.equal(findEvent(frozen, 'cmu', 'ModelFrozen').data.by.toString(), owner.address);
    assert.equal((await api.query.cmu.models(model)).unwrap().frozen.isTrue, true);
    await assert.rejects(
      submit(api, api.tx.cmu.submitContribution(model, fakeCid('frozen'), sha256('frozen'), 1), contributor),
      /ModelFrozen/);
    await assert.rejects(
      submit(api, api.tx.cmu.setAccessPolicy(model, { visibility: 'Public', contributions: 'Open' }), owner),
      /ModelFrozen/);
    // A frozen model's NFT cannot be sold.
    const collection = (await api.query.cmu.modelCollection()).unwrap();
    await assert.rejects(submit(api, api.tx.nfts.transfer(collection, model, reader.address), owner), /ItemLocked/);
    await submit(api, api.tx.cmu.thawModel(model), owner);
    assert.equal((await api.query.cmu.models(model)).unwrap().frozen.isFalse, true);
  });

  const contributions = [];
  await t.test('submit_contribution', async () => {
    for (const label of ['good', 'bad', 'withdrawn', 'junk']) {
      const events = await submit(api, api.tx.cmu.submitContribution(model, fakeCid(`${label}-${run}`),
        sha256(`${label}-${run}`), 10), contributor);
      contributions.push(findEvent(events, 'cmu', 'ContributionSubmitted').data.contribution.toNumber());
    }
    const pending = await api.query.cmu.pendingContributions.keys(model);
    assert.equal(pending.length, 4);
    assert.equal((await api.query.cmu.pendingPerAccount(model, contributor.address)).toNumber(), 4);
  });

  await t.test('withdraw_contribution', async () => {
    await submit(api, api.tx.cmu.withdrawContribution(model, contributions[2]), contributor);
    const record = (await api.query.cmu.contributions(model, contributions[2])).unwrap();
    assert.equal(record.status.type, 'Withdrawn');
  });

  await t.test('reject_contributions clears junk without a version', async () => {
    const treasuryBefore = (await api.query.system.account(treasury.address)).data.free.toBigInt();
    const events = await submit(api, api.tx.cmu.rejectContributions(model, [[contributions[3], 'Duplicate']]), trainer);
    const rejected = findEvent(events, 'cmu', 'ContributionRejected');
    assert.ok(rejected.data.version.isNone);
    assert.equal(rejected.data.by.toString(), trainer.address);
    const record = (await api.query.cmu.contributions(model, contributions[3])).unwrap();
    assert.equal(record.status.asRejected.type, 'Duplicate');
    assert.ok(record.settledIn.isNone);
    const treasuryAfter = (await api.query.system.account(treasury.address)).data.free.toBigInt();
    assert.equal(treasuryAfter - treasuryBefore, 5n * UNIT);
  });

  await t.test('set_encryption_key publishes and clears an x25519 key', async () => {
    const key = sha256(`x25519-${run}`);
    const events = await submit(api, api.tx.cmu.setEncryptionKey(key), reader);
    assert.equal(findEvent(events, 'cmu', 'EncryptionKeySet').data.key.unwrap().toHex(), key);
    assert.equal((await api.query.cmu.encryptionKeys(reader.address)).unwrap().toHex(), key);
    await submit(api, api.tx.cmu.setEncryptionKey(null), reader);
    assert.ok((await api.query.cmu.encryptionKeys(reader.address)).isNone);
    await assert.rejects(submit(api, api.tx.cmu.setEncryptionKey(null), reader), /NoEncryptionKey/);
    await submit(api, api.tx.cmu.setEncryptionKey(key), reader);
  });

  await t.test('publish_version of a permissioned model needs a key envelope', async () => {
    await assert.rejects(submit(api, api.tx.cmu.publishVersion(model, null, fakeCid(`v0-${run}`),
      sha256(`v0-${run}`), sha256(`recipe-${run}`), fakeCid(`card0-${run}`), [], [], null), trainer),
    /EnvelopeRequired/);
  });

  await t.test('publish_version with a card, reward weights, settlements and an envelope', async () => {
    const treasuryBefore = (await api.query.system.account(treasury.address)).data.free.toBigInt();
    const events = await submit(api, api.tx.cmu.publishVersion(model, null, fakeCid(`v0-${run}`),
      sha256(`v0-${run}`), sha256(`recipe-${run}`), fakeCid(`card0-${run}`), [{ key: 'val_auc', value: 912_345_678 }],
      [[contributions[0], { Accept: 7 }], [contributions[1], { Reject: 'HarmsMetric' }],
        [contributions[2], { Accept: 1 }]], fakeCid(`env0-${run}`)), trainer);
    assert.equal(findEvent(events, 'cmu', 'VersionEnvelopeSet').data.envelopeCid.toUtf8(), fakeCid(`env0-${run}`));
    assert.equal((await api.query.cmu.versionEnvelopes(model, 0)).unwrap().toUtf8(), fakeCid(`env0-${run}`));
    const published = findEvent(events, 'cmu', 'VersionPublished');
    assert.equal(published.data.version.toNumber(), 0);
    assert.equal(published.data.cardCid.toUtf8(), fakeCid(`card0-${run}`));
    findEvent(events, 'cmu', 'ContributionAccepted');
    assert.equal(findEvent(events, 'cmu', 'ContributionRejected').data.version.unwrap().toNumber(), 0);
    // The withdrawn contribution was skipped, not failing the version.
    assert.equal(findEvent(events, 'cmu', 'SettlementSkipped').data.contribution.toNumber(), contributions[2]);
    const version = (await api.query.cmu.versions(model, 0)).unwrap();
    assert.equal(version.artifactHash.toHex(), sha256(`v0-${run}`));
    assert.equal(version.cardCid.toUtf8(), fakeCid(`card0-${run}`));
    assert.equal(version.metrics[0].value.toNumber(), 912_345_678);
    assert.equal(version.matches.toNumber(), 0);
    const accepted = (await api.query.cmu.contributions(model, contributions[0])).unwrap();
    assert.equal(accepted.rewardWeight.toNumber(), 7);
    const rejected = (await api.query.cmu.contributions(model, contributions[1])).unwrap();
    assert.equal(rejected.status.asRejected.type, 'HarmsMetric');
    const treasuryAfter = (await api.query.system.account(treasury.address)).data.free.toBigInt();
    assert.ok(treasuryAfter > treasuryBefore, 'the rejected deposit goes to the slash destination');

    await submit(api, api.tx.cmu.publishVersion(model, 0, fakeCid(`v1-${run}`), sha256(`v1-${run}`),
      sha256(`recipe-${run}`), fakeCid(`card1-${run}`), [], [], fakeCid(`env1-${run}`)), trainer);
    assert.equal((await api.query.cmu.models(model)).unwrap().head.unwrap().toNumber(), 1);
  });

  await t.test('set_version_envelope rekeys the head (owner or admin only)', async () => {
    await assert.rejects(submit(api, api.tx.cmu.setVersionEnvelope(model, fakeCid(`evil-${run}`)), trainer), /NotAdmin/);
    const events = await submit(api, api.tx.cmu.setVersionEnvelope(model, fakeCid(`rekey-${run}`)), owner);
    assert.equal(findEvent(events, 'cmu', 'VersionEnvelopeSet').data.version.toNumber(), 1);
    assert.equal((await api.query.cmu.versionEnvelopes(model, 1)).unwrap().toUtf8(), fakeCid(`rekey-${run}`));
    assert.equal((await api.query.cmu.versionEnvelopes(model, 0)).unwrap().toUtf8(), fakeCid(`env0-${run}`));
  });

  await t.test('the model NFT carries spec and head attributes', async () => {
    const collection = (await api.query.cmu.modelCollection()).unwrap();
    const attribute = async (key) => {
      const value = await api.query.nfts.attribute(collection, model, 'Pallet', key);
      return value.isSome ? value.unwrap()[0].toUtf8() : null;
    };
    assert.equal(await attribute('cmu:spec_cid'), fakeCid(`spec2-${run}`));
    assert.equal(await attribute('cmu:head_version'), '1');
    assert.equal(await attribute('cmu:head_artifact_cid'), fakeCid(`v1-${run}`));
  });

  await t.test('slashes shared among accepted contributors, and the track record', async () => {
    await submit(api, api.tx.cmu.setSlashDestination(model, 'AcceptedContributors'), owner);
    const ids = [];
    for (const [label, who] of [['share-good', contributor], ['share-bad', owner]]) {
      const events = await submit(api, api.tx.cmu.submitContribution(model, fakeCid(`${label}-${run}`),
        sha256(`${label}-${run}`), 10), who);
      ids.push(findEvent(events, 'cmu', 'ContributionSubmitted').data.contribution.toNumber());
    }
    const events = await submit(api, api.tx.cmu.publishVersion(model, 1, fakeCid(`v2-${run}`), sha256(`v2-${run}`),
      sha256(`recipe-${run}`), fakeCid(`card2-${run}`), [], [[ids[0], { Accept: 3 }], [ids[1], { Reject: 'InvalidSchema' }]],
      fakeCid(`env2-${run}`)), trainer);
    const rewarded = findEvent(events, 'cmu', 'ContributionRewarded');
    assert.equal(rewarded.data.contributor.toString(), contributor.address);
    assert.equal(rewarded.data.amount.toBigInt(), 5n * UNIT);
    const shared = findEvent(events, 'cmu', 'SlashesShared');
    assert.equal(shared.data.toOwner.toBigInt(), 0n);
    const totals = await api.call.cmuApi.contributorTotals(contributor.address);
    assert.equal(totals.accepted.toNumber(), 2);
    assert.equal(totals.rewards.toBigInt(), 5n * UNIT);
    // 'bad' and 'junk' were rejected earlier.
    assert.equal(totals.rejected.toNumber(), 2);
    assert.equal(totals.slashed.toBigInt(), 10n * UNIT);
  });

  await t.test('attest_version', async () => {
    const events = await submit(api, api.tx.cmu.attestVersion(model, 0, 'Match', fakeCid(`report-${run}`)), reader);
    const attested = findEvent(events, 'cmu', 'VersionAttested');
    assert.equal(attested.data.matches.toNumber(), 1);
    await submit(api, api.tx.cmu.attestVersion(model, 0, 'Mismatch', fakeCid(`report2-${run}`)), owner);
    const version = (await api.query.cmu.versions(model, 0)).unwrap();
    assert.equal(version.matches.toNumber(), 1);
    assert.equal(version.mismatches.toNumber(), 1);
    const record = (await api.query.cmu.attestations(model, 0, reader.address)).unwrap();
    assert.equal(record.outcome.type, 'Match');
    await assert.rejects(submit(api, api.tx.cmu.attestVersion(model, 0, 'Match', fakeCid('again')), reader), /AlreadyAttested/);
    await assert.rejects(submit(api, api.tx.cmu.attestVersion(model, 0, 'Match', fakeCid('own')), trainer), /CannotAttestOwnVersion/);
  });

  await t.test('set_head', async () => {
    const events = await submit(api, api.tx.cmu.setHead(model, 0, 7), owner);
    const headSet = findEvent(events, 'cmu', 'HeadSet');
    assert.equal(headSet.data.reason.toNumber(), 7);
    assert.equal(headSet.data.by.toString(), owner.address);
    assert.equal((await api.query.cmu.models(model)).unwrap().head.unwrap().toNumber(), 0);
  });

  await t.test('deprecate_version', async () => {
    await submit(api, api.tx.cmu.deprecateVersion(model, 1), owner);
    assert.equal((await api.query.cmu.versions(model, 1)).unwrap().status.type, 'Deprecated');
  });

  await t.test('revoke_version (owner only)', async () => {
    await submit(api, api.tx.cmu.revokeVersion(model, 1), owner);
    assert.equal((await api.query.cmu.versions(model, 1)).unwrap().status.type, 'Revoked');
  });

  await t.test('retire_model returns the model deposit', async () => {
    const events = await submit(api, api.tx.cmu.createModel(fakeCid(`retire-${run}`), sha256(`retire-${run}`),
      { visibility: 'Public', contributions: 'Open' }), owner);
    const retiring = findEvent(events, 'cmu', 'ModelCreated').data.model.toNumber();
    const retired = await submit(api, api.tx.cmu.retireModel(retiring), owner);
    findEvent(retired, 'cmu', 'ModelRetired');
    assert.equal(findEvent(retired, 'cmu', 'ModelDepositReleased').data.amount.toBigInt(), 10n * UNIT);
    const info = (await api.query.cmu.models(retiring)).unwrap();
    assert.equal(info.retired.isTrue, true);
    await assert.rejects(
      submit(api, api.tx.cmu.submitContribution(retiring, fakeCid('late'), sha256('late'), 1), contributor),
      /ModelRetired/);
  });

  await t.test('Nfts.transfer hands the model over', async () => {
    const collection = (await api.query.cmu.modelCollection()).unwrap();
    await submit(api, api.tx.nfts.transfer(collection, model, reader.address), owner);
    const item = (await api.query.nfts.item(collection, model)).unwrap();
    assert.equal(item.owner.toString(), reader.address);
    // The new owner now administers the model; the old one does not, and grants made under
    // the old owner (the trainer's) no longer count.
    assert.equal((await api.call.cmuApi.rolesOf(model, trainer.address)).toJSON(), 0);
    await assert.rejects(submit(api, api.tx.cmu.publishVersion(model, 0, fakeCid(`v3-${run}`), sha256(`v3-${run}`),
      sha256(`recipe-${run}`), fakeCid(`card3-${run}`), [], [], fakeCid(`env3-${run}`)), trainer), /NotTrainer/);
    await submit(api, api.tx.cmu.freezeModel(model), reader);
    await assert.rejects(submit(api, api.tx.cmu.thawModel(model), owner), /NotAdmin/);
  });
});
