export * from './metrics';
export * from './data';
export * from './bag-classifier';
export * from './train-classifier';
export * from './classifier-plugins';
export * from './reward-model';
export * from './reward-model-plugins';
