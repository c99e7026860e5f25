# Reference figures for the robust (infinitesimal-jackknife) variance of Kaplan-Meier curves
# and RMST (survival_invest.estimate.robust).
#
# Run ONCE with R's survival package (Debian: apt-get install r-cran-survival) from this folder:
#     Rscript make_robust_reference.R
# It writes the inputs it used (so the Python tests need no R) and R's results with 15
# significant digits (write.csv). Never edit the CSVs by hand; rerun the script instead.
#
# Data sets (R survival's public `lung` and `veteran`; weights made here with fixed seeds,
# rounded to 6 decimals so that the CSV holds them exactly)
#   lung_w      lung, time/status, by sex, non-integer weights; cluster = row (R's default)
#   lung_all    the same rows as one curve (~ 1)
#   lung_inst   lung_w with cluster = institution (`inst`; the one NA made 0)
#   lung_split  lung_w split at days 180 and 365 (survSplit): start-stop rows, delayed entry,
#               the person's weight on each of its rows, id = person (R's cluster)
#   veteran_set veteran, time/status, by trt, non-integer weights, cluster = 30 "matched sets"
#               drawn here, each holding persons of both arms
#   lung_unit   lung by sex, unit weights, robust = TRUE (the IJ variance with unit weights)
# Outputs
#   robust_inputs.csv      dataset, group, entry, time, event, weight, cluster
#   robust_reference.csv   dataset, group, time, n_risk, n_event, surv, std_err, lower, upper:
#                          survfit(..., robust = TRUE, conf.type = "log-log"); NOTE: with the robust
#                          variance R's std.err is the SE of S itself (fit$logse is FALSE), while for
#                          Greenwood it is the SE of log S (logse TRUE), whatever conf.type is
#   robust_rmean.csv       dataset, group, tau, rmean, se_ij, se_print: se_ij is the IJ standard error
#                          sqrt(sum(rowsum(residuals(fit, times = tau, type = "rmst",
#                          weighted = TRUE), cluster)^2)); se_print is what print(fit, rmean = tau)
#                          reports, which is the Greenwood-type se(rmean) on weighted counts even for a
#                          robust fit (R 3.5.3 does not use the IJ for it)
#   robust_area.csv        dataset, tau, value, se_shared, se_independent: RMST(trt 1) - RMST(trt 2)
#                          for veteran_set with the influences of both arms summed per matched set
#                          before squaring (se_shared) and with the arms' IJ variances added
#                          (se_independent)
library(survival)
options(digits = 17)
stopifnot(packageVersion("survival") >= "3.5")

set.seed(20240613)
lg <- data.frame(id = seq_len(nrow(lung)), group = as.character(lung$sex), entry = 0, time = lung$time,
                 event = as.integer(lung$status == 2), weight = round(runif(nrow(lung), 0.2, 3), 6))
lg$cluster <- lg$id
inst <- ifelse(is.na(lung$inst), 0L, lung$inst)
sp <- survSplit(Surv(time, event) ~ ., data = lg, cut = c(180, 365), start = "entry", end = "time")
sp$cluster <- sp$id
set.seed(7)
vt <- data.frame(id = seq_len(nrow(veteran)), group = as.character(veteran$trt), entry = 0,
                 time = veteran$time, event = veteran$status, weight = round(runif(nrow(veteran), 0.3, 2.5), 6))
vt$cluster <- 0L
for (g in unique(vt$group)) vt$cluster[vt$group == g] <- sample(rep_len(1:30, sum(vt$group == g)))
stopifnot(all(tapply(vt$group, vt$cluster, function(g) length(unique(g))) == 2))

sets <- list(
  lung_w = list(d = lg, cl = lg$cluster, taus = c(365, 500)),
  lung_all = list(d = transform(lg, group = ""), cl = lg$cluster, taus = c(365, 700)),
  lung_inst = list(d = transform(lg, cluster = inst), cl = inst, taus = c(365)),
  lung_split = list(d = sp, cl = sp$id, taus = c(365, 500)),
  veteran_set = list(d = vt, cl = vt$cluster, taus = c(100, 200)),
  lung_unit = list(d = transform(lg, weight = 1), cl = lg$cluster, taus = c(365))
)

inputs <- list(); curves <- list(); rmeans <- list(); infl <- list()
for (name in names(sets)) {
  s <- sets[[name]]
  d <- s$d
  d$cluster <- s$cl
  inputs[[name]] <- data.frame(dataset = name, group = d$group, entry = d$entry, time = d$time,
                               event = d$event, weight = d$weight, cluster = d$cluster)
  for (g in sort(unique(d$group))) {
    rows <- d$group == g
    dg <- d[rows, ]
    # fitted here, in the global environment: residuals() re-evaluates the call and must find `dg`
    fit <- survfit(Surv(entry, time, event) ~ 1, data = dg, weights = weight, cluster = cluster,
                   robust = TRUE, conf.type = "log-log")
    stopifnot(!fit$logse)
    # the std.err is the IJ SE of S: check it against R's own influence values
    r_s <- residuals(fit, times = fit$time, type = "surv", weighted = TRUE, collapse = FALSE)
    se_s <- sqrt(colSums(rowsum(r_s, dg$cluster)^2))
    ok <- fit$surv > 0
    stopifnot(max(abs(se_s[ok] - fit$std.err[ok])) < 1e-10)
    curves[[paste(name, g)]] <- data.frame(dataset = name, group = g, time = fit$time, n_risk = fit$n.risk,
                                           n_event = fit$n.event, surv = fit$surv, std_err = fit$std.err,
                                           lower = fit$lower, upper = fit$upper)
    tab <- summary(fit, rmean = s$taus[1])$table
    for (tau in s$taus) {
      r <- residuals(fit, times = tau, type = "rmst", weighted = TRUE, collapse = FALSE)
      infl[[paste(name, g, tau)]] <- rowsum(r, dg$cluster)
      pt <- summary(fit, rmean = tau)$table
      rmeans[[paste(name, g, tau)]] <- data.frame(dataset = name, group = g, tau = tau, rmean = pt[["rmean"]],
                                                  se_ij = sqrt(sum(rowsum(r, dg$cluster)^2)),
                                                  se_print = pt[["se(rmean)"]])
    }
  }
}

areas <- list()
for (tau in sets$veteran_set$taus) {
  a <- infl[[paste("veteran_set", "1", tau)]]
  b <- infl[[paste("veteran_set", "2", tau)]]
  both <- rowsum(c(a, -b), c(rownames(a), rownames(b)))
  ra <- rmeans[[paste("veteran_set", "1", tau)]]
  rb <- rmeans[[paste("veteran_set", "2", tau)]]
  areas[[as.character(tau)]] <- data.frame(dataset = "veteran_set", tau = tau, value = ra$rmean - rb$rmean,
                                           se_shared = sqrt(sum(both^2)),
                                           se_independent = sqrt(ra$se_ij^2 + rb$se_ij^2))
}

w15 <- function(x, file) write.csv(x, file, row.names = FALSE)
w15(do.call(rbind, inputs), "robust_inputs.csv")
w15(do.call(rbind, curves), "robust_reference.csv")
w15(do.call(rbind, rmeans), "robust_rmean.csv")
w15(do.call(rbind, areas), "robust_area.csv")
