# Simulated survival data with a centre random effect for bench/coxme.ts (coxme is not installable
# here, so R's time is survival's coxph with a gaussian frailty — a different criterion for θ, the
# nearest thing R has here): /tmp/coxme-bench-N-G.csv.
#   Rscript bench/coxme.R N G && npx vite-node bench/coxme.ts N G
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(if (length(args) >= 1) args[1] else 10000); G <- as.integer(if (length(args) >= 2) args[2] else 200)
set.seed(1)
g <- sample(G, n, replace = TRUE); x <- rnorm(n); z <- rbinom(n, 1, 0.4)
eta <- 0.5 * x - 0.3 * z + rnorm(G, 0, 0.4)[g]
tt <- ceiling(rexp(n, 0.05 * exp(eta))); cens <- ceiling(runif(n, 5, 40))
d <- data.frame(time = pmin(tt, cens), status = as.integer(tt <= cens), x = x, z = z, g = paste0("g", g))
write.csv(d, sprintf("/tmp/coxme-bench-%d-%d.csv", n, G), row.names = FALSE, quote = FALSE)
t0 <- proc.time()[[3]]
f <- coxph(Surv(time, status) ~ x + z + frailty(g, distribution = "gaussian"), data = d)
cat(sprintf("R coxph gaussian frailty n=%d G=%d: %.2f s, events %d, variance %.6f\n", n, G, proc.time()[[3]] - t0, sum(d$status), f$history[[1]]$theta))
