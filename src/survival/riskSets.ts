/**
 * The risk sets of a Cox model as one sweep over the distinct event times, latest first, within each
 * stratum: at event time t the risk set is R(t) = {i in the stratum: start_i < t ≤ stop_i}
 * (start_i = −∞ for right-censored data). Going down in t, a row enters when t ≤ stop_i and leaves
 * when t ≤ start_i, so each step lists the rows that enter, the rows that leave, and the deaths
 * D(t) = {i: stop_i = t, status_i = 1}. Rows never at risk at an event time appear in no step.
 */
export interface RiskSchedule {
  /** number of steps (distinct event times, over all strata) */
  nsteps: number;
  /** step s's rows entering: enterRows[enterStart[s] … enterStart[s + 1]) */
  enterStart: Int32Array;
  enterRows: Int32Array;
  /** step s's rows leaving (before the step's sums are used) */
  leaveStart: Int32Array;
  leaveRows: Int32Array;
  /** step s's deaths */
  deathStart: Int32Array;
  deathRows: Int32Array;
  /** 1 where step s is the first of its stratum (the sums start again from empty) */
  firstOfStratum: Uint8Array;
}

/** Builds the sweep from the rows' times, statuses and strata. */
export function riskSchedule(stop: Float64Array, start: Float64Array | null, status: Uint8Array, strata: Int32Array | null): RiskSchedule {
  const n = stop.length;
  const stratumOf = (i: number) => (strata ? strata[i] : 0);
  let nstrata = 1;
  if (strata) for (let i = 0; i < n; i++) if (strata[i] + 1 > nstrata) nstrata = strata[i] + 1;
  const byStratum: number[][] = Array.from({ length: nstrata }, () => []);
  for (let i = 0; i < n; i++) byStratum[stratumOf(i)].push(i);
  const enter: number[] = [], leave: number[] = [], death: number[] = [];
  const enterStart = [0], leaveStart = [0], deathStart = [0];
  const first: number[] = [];
  for (const rows of byStratum) {
    // rows by stop time descending (deaths before censorings at a tie: both are at risk at t)
    const byStop = [...rows].sort((a, b) => stop[b] - stop[a]);
    const byStart = start ? [...rows].sort((a, b) => start[b] - start[a]) : [];
    const times = [...new Set(rows.filter((i) => status[i] === 1).map((i) => stop[i]))].sort((a, b) => b - a);
    let ie = 0, il = 0, id = 0;
    times.forEach((t, k) => {
      first.push(k === 0 ? 1 : 0);
      // entering: stop_i ≥ t
      while (ie < byStop.length && stop[byStop[ie]] >= t) enter.push(byStop[ie++]);
      // leaving: start_i ≥ t (such a row has stop_i > start_i ≥ t, so it entered already)
      if (start) while (il < byStart.length && start[byStart[il]] >= t) leave.push(byStart[il++]);
      // deaths at t: among the rows with stop = t
      while (id < byStop.length && stop[byStop[id]] > t) id++;
      for (let j = id; j < byStop.length && stop[byStop[j]] === t; j++) if (status[byStop[j]] === 1) death.push(byStop[j]);
      enterStart.push(enter.length);
      leaveStart.push(leave.length);
      deathStart.push(death.length);
    });
  }
  return {
    nsteps: first.length,
    enterStart: Int32Array.from(enterStart), enterRows: Int32Array.from(enter),
    leaveStart: Int32Array.from(leaveStart), leaveRows: Int32Array.from(leave),
    deathStart: Int32Array.from(deathStart), deathRows: Int32Array.from(death),
    firstOfStratum: Uint8Array.from(first),
  };
}
