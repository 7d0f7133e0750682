/** The RASP program library (Tracr's lib.py and the RASP paper's examples) and its registry. */
export { makeLength, length } from './length.js';
export { makeReverse } from './reverse.js';
export { makeHist } from './hist.js';
export { makeSortUnique, makeSort, makeSortFreq, makeSortStable, type SortBounds } from './sort.js';
export { makeFracPrevs } from './fracPrevs.js';
export { makePairBalance, makeShuffleDyck, makeShuffleDyck2, makeShuffleDyck3 } from './balance.js';
export { shiftBy, detectPattern } from './shift.js';
export { makeCount, makeCountLessFreq } from './count.js';
export { makeNarySequenceMap } from './nary.js';
export { makeDyck1Ptf, makeDyckkPtf, makeDyck2Ptf, makeDyck3Ptf } from './dyckPtf.js';
export { makeDoubleHist, makeHasEarlierCopy, makeMostFreq, MOST_FREQ_FILL, type MostFreqOptions } from './frequency.js';
export { REGISTRY, exampleInBounds, findEntry, type LibraryEntry, type LibraryExample } from './registry.js';
export { identifierPart } from './util.js';
