# Oracle for tests/unit/test_estimate.c: computes with R's survival package what the C
# estimators must reproduce. Usage: Rscript survival_oracle.R IN.csv OUT.txt
# IN.csv: columns dataset,time,status (status 1 = event, 0 = right-censored).
# OUT.txt lines (numbers with 17 significant digits, NA when R gives none):
#   km,DS,time,n.risk,n.event,n.censor,surv,std.err,lower,upper   (survfit, conf.type "log")
#   q,DS,p,quantile                                                 (quantile.survfit)
#   fit,DS,dist,intercept,log(scale),loglik,AIC,q50,q80,q90,cond    (survreg, rel.tolerance 1e-12)
#   nofit,DS,dist                                                   (survreg failed or did not converge)
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
out <- file(args[2], "w")
f <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
for (ds in unique(d$dataset)) {
  s <- d[d$dataset == ds, ]
  km <- survfit(Surv(time, status) ~ 1, data = s, conf.type = "log")
  for (i in seq_along(km$time)) {
    writeLines(paste("km", ds, f(km$time[i]), km$n.risk[i], km$n.event[i], km$n.censor[i],
                     f(km$surv[i]), f(km$std.err[i]), f(km$lower[i]), f(km$upper[i]), sep = ","), out)
  }
  probs <- c(0.5, 0.8, 0.9)
  q <- quantile(km, probs, conf.int = FALSE)
  for (j in seq_along(probs)) writeLines(paste("q", ds, probs[j], f(q[j]), sep = ","), out)
  for (dist in c("lognormal", "weibull")) {
    fit <- tryCatch(survreg(Surv(time, status) ~ 1, data = s, dist = dist,
                            control = survreg.control(rel.tolerance = 1e-12, maxiter = 200)),
                    error = function(e) NULL, warning = function(w) NULL)
    if (is.null(fit) || sum(s$status) < 2 || length(unique(s$time[s$status == 1])) < 2) {
      writeLines(paste("nofit", ds, dist, sep = ","), out)
      next
    }
    mu <- unname(coef(fit)[1]); sc <- fit$scale
    if (dist == "lognormal") {
      qs <- qlnorm(probs, mu, sc)
      t0 <- qs[1]; cond <- 1 - plnorm(t0 + 10, mu, sc, lower.tail = FALSE) / plnorm(t0, mu, sc, lower.tail = FALSE)
    } else {
      qs <- qweibull(probs, shape = 1 / sc, scale = exp(mu))
      t0 <- qs[1]; cond <- 1 - pweibull(t0 + 10, 1 / sc, exp(mu), lower.tail = FALSE) / pweibull(t0, 1 / sc, exp(mu), lower.tail = FALSE)
    }
    writeLines(paste("fit", ds, dist, f(mu), f(log(sc)), f(fit$loglik[2]), f(AIC(fit)),
                     f(qs[1]), f(qs[2]), f(qs[3]), f(cond), sep = ","), out)
  }
}
close(out)
