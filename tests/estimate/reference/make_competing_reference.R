# Reference figures for survival_invest.estimate.competing (Aalen-Johansen cumulative incidence).
#
# Run ONCE with R's survival package (Debian: apt-get install r-cran-survival) from this folder:
#     Rscript make_competing_reference.R
# It writes the inputs it used (so the Python tests need no R) and R's results, with 15
# significant digits (write.csv). Never edit the CSVs by hand; rerun the script instead.
#
# Data sets
#   mgus2     R survival's `mgus2` (Kyle et al. 2002): time to plasma-cell malignancy (pcm)
#             or death, whichever comes first (the survival vignette's competing-risks example:
#             etime = ptime if pstat = 1 else futime; event = 1 pcm, 2 death, 0 censored), by sex.
#   small     60 subjects made here with set.seed(16): integer times with many ties between
#             causes and with censorings, delayed entry (at risk on (entry, exit]), two groups.
#   smallw    the same subjects with non-integer case weights (robust / IJ variance).
# Outputs
#   competing_inputs_small.csv     id, group, entry, exit, event, weight
#   competing_inputs_mgus2.csv     id, group, time, event
#   competing_reference.csv        per data set, group, time: n.risk, events per cause, P(state),
#                                  std.err (R's infinitesimal-jackknife standard error)
#   competing_rmean.csv            per data set, group, state, tau: R's restricted mean time in
#                                  state (rmean = int_0^tau p_k) and its IJ standard error
#                                  sqrt(sum(residuals(fit, type = "sojourn", weighted = TRUE)^2))
library(survival)
options(digits = 17)
stopifnot(packageVersion("survival") >= "3.5")

state_names <- c("censor", "c1", "c2")

mg <- data.frame(
  id = mgus2$id,
  group = as.character(mgus2$sex),
  time = ifelse(mgus2$pstat == 0, mgus2$futime, mgus2$ptime),
  event = ifelse(mgus2$pstat == 0, 2 * mgus2$death, 1)
)
write.csv(mg, "competing_inputs_mgus2.csv", row.names = FALSE)

set.seed(16)
n <- 60
entry <- sample(0:3, n, replace = TRUE)
exit <- entry + sample(1:8, n, replace = TRUE)
event <- sample(0:2, n, replace = TRUE, prob = c(0.3, 0.4, 0.3))
group <- rep(c("a", "b"), length.out = n)
weight <- round(runif(n, 0.25, 3), 3)
sm <- data.frame(id = seq_len(n), group = group, entry = entry, exit = exit, event = event, weight = weight)
write.csv(sm, "competing_inputs_small.csv", row.names = FALSE)

tidy <- function(fit, dataset) {
  ns <- if (is.null(fit$strata)) c(length(fit$time)) else fit$strata
  grp <- rep(if (is.null(fit$strata)) "" else sub("group=", "", names(fit$strata)), ns)
  data.frame(
    dataset = dataset, group = grp, time = fit$time,
    n_risk = fit$n.risk[, 1], n_event_1 = fit$n.event[, 2], n_event_2 = fit$n.event[, 3],
    n_censor = fit$n.censor,
    p0 = fit$pstate[, 1], p1 = fit$pstate[, 2], p2 = fit$pstate[, 3],
    se0 = fit$std.err[, 1], se1 = fit$std.err[, 2], se2 = fit$std.err[, 3],
    lower1 = fit$lower[, 2], upper1 = fit$upper[, 2]
  )
}

rmeans <- function(fitter, data, dataset, taus) {
  # one fit per group: residuals.survfit works on a single curve
  out <- list()
  for (g in sort(unique(data$group))) {
    cur <<- data[data$group == g, ]  # global: residuals.survfit re-evaluates the call
    f <- fitter()
    for (tau in taus) {
      r <- residuals(f, times = tau, type = "sojourn", weighted = TRUE)  # obs x state
      tab <- summary(f, rmean = tau)$table
      out[[length(out) + 1]] <- data.frame(
        dataset = dataset, group = g, state = 0:2, tau = tau,
        rmean = as.numeric(tab[, "rmean"]), se = sqrt(colSums(r^2))
      )
    }
  }
  do.call(rbind, out)
}

ev_mg <- factor(mg$event, 0:2, labels = state_names)
fit_mg <- survfit(Surv(time, ev_mg) ~ group, data = mg, conf.type = "log")
ev_sm <- factor(sm$event, 0:2, labels = state_names)
fit_sm <- survfit(Surv(entry, exit, ev_sm) ~ group, data = sm, id = id, conf.type = "log")
fit_smw <- survfit(Surv(entry, exit, ev_sm) ~ group, data = sm, id = id, weights = weight, conf.type = "log")

ref <- rbind(tidy(fit_mg, "mgus2"), tidy(fit_sm, "small"), tidy(fit_smw, "smallw"))
write.csv(ref, "competing_reference.csv", row.names = FALSE)

mg$ev <- ev_mg
sm$ev <- ev_sm
rm_all <- rbind(
  rmeans(function() survfit(Surv(time, ev) ~ 1, data = cur), mg, "mgus2", c(120, 240)),
  rmeans(function() survfit(Surv(entry, exit, ev) ~ 1, data = cur, id = id), sm, "small", c(6, 10)),
  rmeans(function() survfit(Surv(entry, exit, ev) ~ 1, data = cur, id = id, weights = weight), sm, "smallw", c(6, 10))
)
write.csv(rm_all, "competing_rmean.csv", row.names = FALSE)
cat(sprintf("R %s, survival %s\n", R.version.string, packageVersion("survival")))
