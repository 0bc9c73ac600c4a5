// The part of jstat (no bundled types) that the comparison uses.
declare module "jstat" {
  export const jStat: { studentt: { inv(probability: number, degreesOfFreedom: number): number } };
}
