'use strict';
// Runs the backblaze-b2 npm library against a B2 endpoint (the django_b2 emulator) and prints
// one JSON object with what each call returned. Usage:
//   node conformance.js URL KEY_ID KEY
// or the environment variables B2_URL, B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY.
// The library authorizes against a fixed production URL; `axiosOverride.url` points it here,
// and every later call follows the apiUrl/downloadUrl that authorize answered.

const crypto = require('crypto');
const B2 = require('backblaze-b2');

const [url, keyId, key] = [
    process.argv[2] || process.env.B2_URL,
    process.argv[3] || process.env.B2_APPLICATION_KEY_ID,
    process.argv[4] || process.env.B2_APPLICATION_KEY,
];
if (!url || !keyId || !key) {
    process.stderr.write('usage: node conformance.js URL KEY_ID KEY\n');
    process.exit(2);
}

const sha1 = (data) => crypto.createHash('sha1').update(data).digest('hex');

// A failed call becomes {error: {status, code, message}} (the B2 error body) instead of a throw.
async function attempt(promise) {
    try {
        return await promise;
    } catch (err) {
        const response = err.response || {};
        return { error: { status: response.status || null, body: response.data || String(err) } };
    }
}

async function main() {
    const out = {};
    const b2 = new B2({ applicationKeyId: keyId, applicationKey: key, retry: { retries: 0 } });

    const auth = await b2.authorize({
        axiosOverride: { url: `${url}/b2api/v2/b2_authorize_account` },
    });
    out.authorize = {
        accountId: auth.data.accountId,
        apiUrl: auth.data.apiUrl,
        downloadUrl: auth.data.downloadUrl,
        absoluteMinimumPartSize: auth.data.absoluteMinimumPartSize,
        recommendedPartSize: auth.data.recommendedPartSize,
        hasToken: typeof auth.data.authorizationToken === 'string',
    };

    const created = await b2.createBucket({ bucketName: 'node-bucket', bucketType: 'allPrivate' });
    const bucketId = created.data.bucketId;
    out.createBucket = { bucketName: created.data.bucketName, bucketType: created.data.bucketType };

    const listed = await b2.listBuckets();
    out.listBuckets = listed.data.buckets.map((b) => b.bucketName);
    const got = await b2.getBucket({ bucketName: 'node-bucket' });
    out.getBucket = got.data.buckets.map((b) => b.bucketId === bucketId);
    const updated = await b2.updateBucket({ bucketId, bucketType: 'allPublic' });
    out.updateBucket = { bucketType: updated.data.bucketType, revision: updated.data.revision };

    // simple upload; the library sends Content-Type b2/x-auto unless told otherwise
    const body = Buffer.from('hello from node\n');
    const target = await b2.getUploadUrl({ bucketId });
    const uploaded = await b2.uploadFile({
        uploadUrl: target.data.uploadUrl,
        uploadAuthToken: target.data.authorizationToken,
        fileName: 'dir/hello world.txt',
        data: body,
        info: { author: 'node' },
    });
    out.uploadFile = {
        fileName: uploaded.data.fileName,
        contentSha1: uploaded.data.contentSha1,
        expectedSha1: sha1(body),
        contentType: uploaded.data.contentType,
        fileInfo: uploaded.data.fileInfo,
        size: uploaded.data.contentLength,
    };
    const fileId = uploaded.data.fileId;

    // a second file with an explicit type, uploaded through the same upload URL
    const second = await b2.uploadFile({
        uploadUrl: target.data.uploadUrl,
        uploadAuthToken: target.data.authorizationToken,
        fileName: 'top.json',
        data: Buffer.from('{"a": 1}'),
        mime: 'application/json',
    });
    out.secondUpload = { contentType: second.data.contentType };

    const names = await b2.listFileNames({ bucketId, maxFileCount: 10 });
    out.listFileNames = names.data.files.map((f) => f.fileName);
    const folders = await b2.listFileNames({ bucketId, delimiter: '/', prefix: '' });
    out.listFileNamesDelimited = folders.data.files.map((f) => [f.fileName, f.action]);

    // page through names one at a time, following nextFileName
    const paged = [];
    let startFileName = '';
    for (;;) {
        const page = await b2.listFileNames({ bucketId, maxFileCount: 1, startFileName });
        paged.push(...page.data.files.map((f) => f.fileName));
        if (!page.data.nextFileName) break;
        startFileName = page.data.nextFileName;
    }
    out.listFileNamesPaged = paged;
    const byId = await b2.getBucket({ bucketId });
    out.getBucketById = byId.data.buckets.map((b) => b.bucketName);

    const info = await b2.getFileInfo({ fileId });
    out.getFileInfo = { fileName: info.data.fileName, fileInfo: info.data.fileInfo };

    const byName = await b2.downloadFileByName({
        bucketName: 'node-bucket',
        fileName: 'dir/hello world.txt',
        responseType: 'arraybuffer',
    });
    out.downloadFileByName = {
        text: Buffer.from(byName.data).toString(),
        sha1Header: byName.headers['x-bz-content-sha1'],
        infoHeader: byName.headers['x-bz-info-author'],
    };
    const downloadedById = await b2.downloadFileById({ fileId, responseType: 'arraybuffer' });
    out.downloadFileById = {
        text: Buffer.from(downloadedById.data).toString(),
        fileNameHeader: downloadedById.headers['x-bz-file-name'],
    };

    // large file in three parts: 2 x 1500 bytes + a 700-byte last part
    const partsData = [crypto.randomBytes(1500), crypto.randomBytes(1500), crypto.randomBytes(700)];
    const started = await b2.startLargeFile({ bucketId, fileName: 'large.bin' });
    const largeId = started.data.fileId;
    const partUrl = await b2.getUploadPartUrl({ fileId: largeId });
    const partSha1Array = [];
    for (let i = 0; i < partsData.length; i++) {
        const part = await b2.uploadPart({
            partNumber: i + 1,
            uploadUrl: partUrl.data.uploadUrl,
            uploadAuthToken: partUrl.data.authorizationToken,
            data: partsData[i],
        });
        partSha1Array.push(part.data.contentSha1);
    }
    const parts = await b2.listParts({ fileId: largeId });
    out.listParts = parts.data.parts.map((p) => [p.partNumber, p.contentLength]);
    const finished = await b2.finishLargeFile({ fileId: largeId, partSha1Array });
    const whole = Buffer.concat(partsData);
    const largeDownload = await b2.downloadFileByName({
        bucketName: 'node-bucket',
        fileName: 'large.bin',
        responseType: 'arraybuffer',
    });
    out.largeFile = {
        action: finished.data.action,
        size: finished.data.contentLength,
        downloadMatches: Buffer.compare(Buffer.from(largeDownload.data), whole) === 0,
    };

    // a cancelled large file
    const abandoned = await b2.startLargeFile({ bucketId, fileName: 'abandoned.bin' });
    const cancelled = await b2.cancelLargeFile({ fileId: abandoned.data.fileId });
    out.cancelLargeFile = { fileName: cancelled.data.fileName };

    const hidden = await b2.hideFile({ bucketId, fileName: 'top.json' });
    out.hideFile = { action: hidden.data.action, fileName: hidden.data.fileName };
    const versions = await b2.listFileVersions({ bucketId });
    out.listFileVersions = versions.data.files.map((f) => [f.fileName, f.action]);
    // page through versions one at a time, following nextFileName + nextFileId
    const versionPages = [];
    let cursor = { startFileName: '', startFileId: undefined };
    for (;;) {
        const page = await b2.listFileVersions({ bucketId, maxFileCount: 1, ...cursor });
        versionPages.push(...page.data.files.map((f) => [f.fileName, f.action]));
        if (!page.data.nextFileName) break;
        cursor = { startFileName: page.data.nextFileName, startFileId: page.data.nextFileId };
    }
    out.listFileVersionsPaged = versionPages;
    out.downloadHidden = await attempt(
        b2.downloadFileByName({ bucketName: 'node-bucket', fileName: 'top.json' })
    );

    const deleted = await b2.deleteFileVersion({ fileId, fileName: 'dir/hello world.txt' });
    out.deleteFileVersion = { fileId: deleted.data.fileId === fileId };
    const afterDelete = await b2.listFileNames({ bucketId });
    out.afterDelete = afterDelete.data.files.map((f) => f.fileName);

    const auth2 = await b2.getDownloadAuthorization({
        bucketId,
        fileNamePrefix: 'large',
        validDurationInSeconds: 60,
    });
    out.getDownloadAuthorization = {
        fileNamePrefix: auth2.data.fileNamePrefix,
        bucketId: auth2.data.bucketId === bucketId,
        hasToken: typeof auth2.data.authorizationToken === 'string',
    };
    const shared = await fetch(
        `${b2.downloadUrl}/file/node-bucket/large.bin?Authorization=${encodeURIComponent(
            auth2.data.authorizationToken
        )}`
    );
    out.downloadWithAuthorization = { status: shared.status };

    const newKey = await b2.createKey({
        capabilities: [b2.KEY_CAPABILITIES.LIST_FILES, b2.KEY_CAPABILITIES.READ_FILES],
        keyName: 'node-key',
        bucketId,
        namePrefix: 'dir/',
    });
    out.createKey = {
        keyName: newKey.data.keyName,
        capabilities: newKey.data.capabilities,
        namePrefix: newKey.data.namePrefix,
        hasSecret: typeof newKey.data.applicationKey === 'string',
    };
    const keys = await b2.listKeys();
    out.listKeys = keys.data.keys.map((k) => k.keyName);
    // the new key authorizes with the library too
    const restricted = new B2({
        applicationKeyId: newKey.data.applicationKeyId,
        applicationKey: newKey.data.applicationKey,
        retry: { retries: 0 },
    });
    const restrictedAuth = await restricted.authorize({
        axiosOverride: { url: `${url}/b2api/v2/b2_authorize_account` },
    });
    out.restrictedAuthorize = restrictedAuth.data.allowed;
    const removedKey = await b2.deleteKey({ applicationKeyId: newKey.data.applicationKeyId });
    out.deleteKey = { keyName: removedKey.data.keyName };
    out.listKeysAfterDelete = (await b2.listKeys()).data.keys.map((k) => k.keyName);

    // clean up so the bucket can go
    const remaining = await b2.listFileVersions({ bucketId });
    for (const f of remaining.data.files) {
        await b2.deleteFileVersion({ fileId: f.fileId, fileName: f.fileName });
    }
    const removedBucket = await b2.deleteBucket({ bucketId });
    out.deleteBucket = { bucketName: removedBucket.data.bucketName };
    out.listBucketsAfterDelete = (await b2.listBuckets()).data.buckets.map((b) => b.bucketName);

    // an error comes back as B2's JSON error body
    out.deleteMissingBucket = await attempt(b2.deleteBucket({ bucketId }));
    return out;
}

main().then(
    (out) => {
        process.stdout.write(JSON.stringify(out) + '\n');
    },
    (err) => {
        const response = err.response || {};
        process.stderr.write(
            `conformance failed: ${err.stack || err}\n` +
                `status=${response.status} body=${JSON.stringify(response.data)}\n` +
                `request=${err.config ? err.config.method + ' ' + err.config.url : ''}\n`
        );
        process.exit(1);
    }
);
