import type { OptionsOf } from '../plugin/define';

/**
 * The recipe envelope schema (JSON Schema 2020-12): the one source of the envelope. The recipe
 * types in `types.ts` are derived from it, and `schemas/recipe.schema.json` (what editors read) is
 * generated from it; `test/schema-bundle.test.ts` checks that the two are equal.
 */
export const recipeSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://rlhfjs.github.io/schemas/recipe.schema.json',
  title: 'rlhfjs recipe',
  description: 'One experiment or job: which plugins fill which slot, with what options, on which runtime.',
  type: 'object',
  additionalProperties: false,
  required: ['plugins'],
  properties: {
    $schema: { type: 'string', description: 'Schema for editors, e.g. ../schemas/recipe.bundle.schema.json (ignored at run time).' },
    name: {
      type: 'string',
      minLength: 1,
      pattern: '^[A-Za-z0-9._-]+$',
      description: 'Name of the experiment; prefixes run directory names. Defaults to the recipe file\'s name.',
    },
    description: { type: 'string', description: 'Free text shown in the run manifest.' },
    job: {
      description: 'What this recipe runs. "rl" (the default, from @rlhfjs/plugin-algorithms) is the RL loop: rollout, score, update. Other jobs (pretrain, train-classifier, train-reward-model, label, ...) are plugins of kind job.',
      default: 'rl',
      anyOf: [
        { type: 'string', minLength: 1 },
        { $ref: '#/$defs/jobSlot' },
      ],
    },
    plugins: {
      type: 'array',
      description: 'Plugin packages that provide the plugins this recipe names, and whose code runs when the recipe is validated or run: npm package names (no subpaths), or paths (./x, ../x, absolute) to package folders whose package.json has the keyword "rlhf-plugin". Resolved from the recipe\'s folder.',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
    },
    agent: { $ref: '#/$defs/slot', description: 'The policy language model being fine-tuned, its tokenizer and sampling settings (plugin kind: agent).' },
    environment: { $ref: '#/$defs/slot', description: 'Where prompts (the context window\'s contents) come from (plugin kind: environment).' },
    rewards: {
      type: 'array',
      description: 'Reward sources, combined as the weighted sum of their scores (plugin kind: reward).',
      items: { $ref: '#/$defs/rewardSlot' },
    },
    rewardProcessing: {
      type: 'object',
      description: 'What happens to the combined score before the algorithm sees it.',
      additionalProperties: false,
      default: {},
      properties: {
        normalize: { type: 'boolean', default: false, description: 'Standardise the combined score with a running mean and standard deviation.' },
        clip: { type: ['number', 'null'], exclusiveMinimum: 0, default: null, description: 'Clip the (normalised) score to [-clip, clip]; null for no clipping.' },
        shuffle: {
          type: 'boolean',
          default: false,
          description: 'Control runs: permute the combined scores within each batch (seeded). The reward keeps its distribution but loses its link to the completions, so any improvement a real run shows over this one comes from the reward.',
        },
      },
    },
    algorithm: { $ref: '#/$defs/slot', description: 'The RL update rule, e.g. ppo, rloo, grpo, reinforce, dpo (plugin kind: algorithm).' },
    klController: { $ref: '#/$defs/slot', description: 'The schedule of the KL coefficient beta, e.g. fixed or adaptive (plugin kind: kl-controller).' },
    loggers: {
      type: 'array',
      description: 'Extra metric sinks; metrics.jsonl in the run directory is always written (plugin kind: logger).',
      items: { $ref: '#/$defs/slot' },
    },
    scorers: {
      type: 'array',
      description: 'Evaluation scorers for rlhf eval and periodic evaluation; they never feed the reward (plugin kind: scorer).',
      items: { $ref: '#/$defs/slot' },
    },
    runtime: {
      type: 'object',
      description: 'Where and how the job runs.',
      additionalProperties: false,
      default: {},
      properties: {
        backend: {
          enum: ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
          default: 'auto',
          description: 'Tensor backend. auto takes the first that works of tensorflow-gpu, webgpu (only with gpu: true), tensorflow, wasm. wasm is embedded and installs anywhere; webgpu runs on a GPU through Dawn (packages webgpu and @tensorflow/tfjs-backend-webgpu, a Vulkan driver on Linux); tensorflow(-gpu) need @tensorflow/tfjs-node(-gpu). See docs/gpu.md.',
        },
        gpu: {
          type: 'boolean',
          default: false,
          description: 'Whether backend auto may pick the WebGPU backend when Dawn finds a GPU adapter (off by default, so that a recipe runs on the backend it always ran on).',
        },
        seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'The one seed that drives initialisation, sampling and data order.' },
        steps: { type: 'integer', minimum: 0, default: 100, description: 'Training iterations (RL) or optimisation steps (other jobs).' },
        outputDir: { type: 'string', default: 'runs', description: 'Folder that receives run directories, relative to the recipe file.' },
        runName: { type: 'string', pattern: '^(?!\\.\\.?$)[A-Za-z0-9._-]+$', description: 'Run directory name, created inside outputDir: letters, digits, ".", "_" and "-", but not "." or ".."; defaults to <name>-<UTC timestamp>.' },
        checkpointEvery: { type: 'integer', minimum: 0, default: 10, description: 'Write a checkpoint every N steps (0: only at the end).' },
        keepCheckpoints: { type: 'integer', minimum: 1, default: 2, description: 'How many of the latest checkpoints stay on disk.' },
        nativeKernels: {
          enum: ['require', 'allow', 'forbid'],
          default: 'allow',
          description: 'Native CPU kernels for the wasm backend (@rlhfjs/native-kernels): require fails when they are missing, allow uses them when built, forbid never loads them.',
        },
        threads: { type: 'integer', minimum: 0, default: 0, description: 'Threads of the native kernels (BatchMatMul and the large elementwise kernels, split by output blocks so results are the same at any count) and of the wasm backend; 0: every core for the native kernels, the tfjs default for wasm.' },
        workers: {
          type: 'object',
          additionalProperties: false,
          description:
            'Scale-out of the RL loop: each iteration\'s prompts are cut into chunks, and each chunk\'s rollout (completions, log-probs, reference log-probs, raw rewards) is computed by rlhf worker processes that take BullMQ jobs from Redis. Every sample draws from its own random stream, derived from (seed, iteration, prompt index, sample index), so any number of workers gives the same numbers; these differ from a run without runtime.workers, whose samples share one stream.',
          properties: {
            count: {
              type: 'integer',
              minimum: 0,
              description: '0: compute the chunks in the trainer\'s own process (no Redis), with the same chunks and random streams as workers, so the numbers are those of any number of workers. N ≥ 1: the trainer starts N local rlhf worker processes itself (and stops them at the end); more may join from anywhere. Absent: only workers started by hand.',
            },
            redis: { type: 'string', pattern: '^rediss?://', description: 'The Redis server of the queue, e.g. redis://127.0.0.1:6379 (rediss:// for TLS) (needed unless count is 0).' },
            weights: { type: 'string', default: 'weights', description: 'Shared folder where the trainer publishes each policy version and the workers read it, relative to the recipe file; every worker must reach it.' },
            queue: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'Base name of the BullMQ queues (<queue>-iterations and <queue>-rollout); defaults to rlhf-<recipe name>. Workers started with the same recipe use the same.' },
            chunkSize: { type: 'integer', minimum: 1, default: 4, description: 'Prompts per rollout job (each with all its samples).' },
            attempts: { type: 'integer', minimum: 1, default: 3, description: 'Tries of a rollout job before the iteration fails.' },
            lockDurationMs: { type: 'integer', minimum: 100, default: 60000, description: 'BullMQ lock on a running job, in ms: a worker that does not renew it for this long (killed, or busier than this on one chunk) has stalled, and its chunk goes to another worker. Keep it above the time of one chunk.' },
            stalledIntervalMs: { type: 'integer', minimum: 100, default: 30000, description: 'How often workers look for stalled jobs, in ms.' },
            maxStalledCount: { type: 'integer', minimum: 0, default: 2, description: 'How many times a job may stall before it fails.' },
            offPolicySteps: {
              enum: [0, 1],
              default: 0,
              description: '1: one-step-off pipelining. The rollout of iteration t+1 is generated (with the policy before update t) while the trainer updates on iteration t, so the samples an update learns from are one update old; the algorithms\' importance ratio is still taken to the policy at the start of the update. Changes the numbers; recorded in the manifest. 0: each rollout uses the policy it updates.',
            },
          },
        },
      },
    },
  },
  $defs: {
    slot: {
      type: 'object',
      additionalProperties: false,
      required: ['use'],
      properties: {
        use: { type: 'string', minLength: 1, description: 'Name of the plugin that fills this slot (see rlhf plugins).' },
        options: {
          type: 'object',
          default: {},
          description: 'The plugin\'s options, validated against its own schema.',
        },
      },
    },
    rewardSlot: {
      type: 'object',
      additionalProperties: false,
      required: ['use'],
      properties: {
        use: { type: 'string', minLength: 1, description: 'Name of the reward plugin (see rlhf plugins).' },
        name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', description: 'Label in metrics (score/<name>); defaults to the plugin name.' },
        weight: { type: 'number', default: 1, description: 'Multiplies this source\'s score in the weighted sum.' },
        options: {
          type: 'object',
          default: {},
          description: 'The plugin\'s options, validated against its own schema.',
        },
      },
    },
    jobSlot: {
      type: 'object',
      additionalProperties: false,
      required: ['use'],
      properties: {
        use: { type: 'string', minLength: 1, description: 'Name of the job plugin (see rlhf plugins --kind job).' },
        options: { type: 'object', description: 'The job\'s options, validated against its own schema.' },
      },
    },
  },
} as const;

/** A recipe as the envelope schema describes it, with the envelope's defaults filled in. */
export type RecipeEnvelope = OptionsOf<typeof recipeSchema>;

/**
 * The job a recipe runs when it names none (the envelope's `job` default), and the built-in
 * package that provides it: a recipe without that package is told which one to add.
 */
export const DEFAULT_JOB = {
  use: recipeSchema.properties.job.default,
  what: 'the RL loop',
  package: '@rlhfjs/plugin-algorithms',
} as const;
