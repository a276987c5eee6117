export { sampleStream } from './streams';
export { computeChunk, splitPrompts, mergeChunks, type ChunkJob, type ChunkOutput, type ChunkResult, type ChunkParts, type ChunkPrompt } from './chunk';
export { runKey, weightsFile, publishWeights, loadPublishedWeights, type WeightsIdentity } from './weights';
export { connectRedis, loadBullMQ, parseRedisUrl, redactRedisUrl, type RedisHandle } from './redis';
export { RolloutDispatcher, queueNames, attemptKey, checkResult } from './queue';
export { startRolloutWorker, type WorkerSettings } from './worker';
export { localThreadSplit } from './threads';
export { ScaleOut, queueBase, type WorkersConfig, type ScaleOutContext, type ScaledRollout } from './trainer';

