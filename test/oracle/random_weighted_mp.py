#!/usr/bin/env python3
"""
High-precision referee (mpmath, 60 digits) for the `v…` cases of test/fixtures/random-weighted
(x a calendar year; not the `||` one, which lme4 fits well): at lme4's best θ (lme4.json's at_best.theta, the doubles as written), the
weighted LMM's β̂, SEs, σ̂, the conditional modes and their conditional SDs by the dense GLS
formulas (in units of σ²), and lme4's criterion at its objective_at points:

    V = Z Λ Λᵀ Zᵀ + W⁻¹,  β̂ = (Xᵀ V⁻¹ X)⁻¹ Xᵀ V⁻¹ (y − o),  r = y − o − X β̂,
    σ̂² = rᵀ V⁻¹ r / (n − p)  (REML)  or / n  (ML),   Var(β̂) = σ̂² (Xᵀ V⁻¹ X)⁻¹,
    b = Λ Λᵀ Zᵀ V⁻¹ r,   Var(b | y) = σ̂² (Λ Λᵀ − Λ Λᵀ Zᵀ V⁻¹ Z Λ Λᵀ)   (lme4's condVar, β̂ given)

so that where lme4's and our double-precision values at that θ differ (Λ's entries span 1e-3 to
240: both lose digits), the exact values say which is right (test/randomWeighted.test.ts).

    python3 test/oracle/random_weighted_mp.py   # writes test/fixtures/random-weighted/mp.json
"""
import csv
import json
import os
import re

import mpmath as mp

mp.mp.dps = 60
here = os.path.dirname(os.path.abspath(__file__))
fx = os.path.join(here, '..', 'fixtures', 'random-weighted')
ref = {c['name']: c for c in json.load(open(os.path.join(fx, 'lme4.json')))['cases']}
index = json.load(open(os.path.join(fx, 'cases.json')))['cases']


def terms_of(formula):
    """the random-effects terms (columns, grouping factor) of the formulas the v… cases use"""
    out = []
    for lhs, g in re.findall(r'\(([^|()]+)\|\s*([^)]+)\)', formula):
        cols = ['(Intercept)', 'x'] if lhs.strip() == 'x' else ['(Intercept)']
        out.append((cols, g.strip()))
    return out


def case(c):
    r = ref[c['name']]
    out = at(c, r['at_best']['theta'], True)
    # the criterion at lme4.json's objective_at points (the best θ and one away)
    out['objective_at'] = [{'label': pt['label'], 'theta': pt['theta'], 'value': at(c, pt['theta'], False)} for pt in r['objective_at']]
    return out


def at(c, theta, full):
    """the fit's values at θ (full), or lme4's criterion there:
    ML   log|V| + n (1 + log(2π rᵀV⁻¹r / n))          (log|L|² − Σ log w = log|V|)
    REML log|V| + log|Xᵀ V⁻¹ X| + (n − p)(1 + log(2π rᵀV⁻¹r / (n − p)))"""
    rows = list(csv.DictReader(open(os.path.join(fx, c['data']))))
    r = ref[c['name']]
    n = len(rows)
    y = [mp.mpf(row['y']) - mp.mpf(row['o']) for row in rows]
    x = [mp.mpf(row['x']) for row in rows]
    w = [mp.mpf(row['w']) for row in rows]
    X = mp.matrix(n, 2)
    for i in range(n):
        X[i, 0] = 1
        X[i, 1] = x[i]
    # Z Λ Λᵀ Zᵀ term by term (lme4's θ order: terms in formula order for these cases' theta_names)
    names = r['theta_names']
    # lme4 orders the terms by decreasing number of levels: the order of theta_names' groups
    groups = list(dict.fromkeys(nm.split('.')[0] for nm in names))
    terms = sorted(terms_of(c['formula']), key=lambda t: groups.index(t[1]))
    V = mp.matrix(n, n)
    for i in range(n):
        V[i, i] = 1 / w[i]
    blocks = []
    k = 0
    for cols, g in terms:
        q = len(cols)
        T = mp.matrix(q, q)
        for j in range(q):
            for i in range(j, q):
                T[i, j] = mp.mpf(theta[k])
                k += 1
        S = T * T.T
        key = (lambda row, g=g: ':'.join(row[f] for f in g.split(':')))
        levels = sorted(set(key(row) for row in rows))
        blocks.append((g, cols, levels, key, S))
    assert k == len(names)
    zrow = lambda cols, i: [1 if cn == '(Intercept)' else x[i] for cn in cols]
    for g, cols, levels, key, S in blocks:
        for i in range(n):
            zi = zrow(cols, i)
            for j in range(i, n):
                if key(rows[i]) != key(rows[j]):
                    continue
                zj = zrow(cols, j)
                v = sum(zi[a] * S[a, b] * zj[b] for a in range(len(cols)) for b in range(len(cols)))
                V[i, j] += v
                if j != i:
                    V[j, i] += v
    Vi = mp.inverse(V)
    XtVi = X.T * Vi
    A = XtVi * X
    Ai = mp.inverse(A)
    beta = Ai * (XtVi * mp.matrix(y))
    res = [y[i] - beta[0] - beta[1] * x[i] for i in range(n)]
    rv = mp.matrix(res)
    Vir = Vi * rv
    pwrss = (rv.T * Vir)[0]
    p = 2
    df = n - p if r['reml'] else n
    if not full:
        crit = mp.log(mp.det(V)) + df * (1 + mp.log(2 * mp.pi * pwrss / df))
        return float(crit + (mp.log(mp.det(A)) if r['reml'] else 0))
    s2 = pwrss / df
    out = {'name': c['name'], 'theta': theta, 'sigma': float(mp.sqrt(s2)),
           'beta': {'(Intercept)': float(beta[0]), 'x': float(beta[1])},
           'se': {'(Intercept)': float(mp.sqrt(s2 * Ai[0, 0])), 'x': float(mp.sqrt(s2 * Ai[1, 1]))}, 'ranef': []}
    for g, cols, levels, key, S in blocks:
        q = len(cols)
        values = {cn: [] for cn in cols}
        condsd = {cn: [] for cn in cols}
        for lev in levels:
            idx = [i for i in range(n) if key(rows[i]) == lev]
            # Zₗ (rows of level lev) and S Zₗᵀ
            SZt = mp.matrix(q, n)
            for i in idx:
                zi = zrow(cols, i)
                for a in range(q):
                    SZt[a, i] = sum(S[a, b] * zi[b] for b in range(q))
            b = SZt * Vir
            C = S - SZt * Vi * SZt.T
            for a, cn in enumerate(cols):
                values[cn].append(float(b[a]))
                condsd[cn].append(float(mp.sqrt(max(s2 * C[a, a], 0))))
        out['ranef'].append({'group': g, 'levels': levels, 'values': values, 'condsd': condsd})
    return out


cases = [case(c) for c in index if c['name'].startswith('v') and '||' not in c['formula']]
json.dump({'mpmath': mp.__version__, 'dps': mp.mp.dps, 'cases': cases}, open(os.path.join(fx, 'mp.json'), 'w'), indent=1)
print(len(cases), 'cases written to mp.json')
