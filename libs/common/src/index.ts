export * from './districts';
export * from './needs';
