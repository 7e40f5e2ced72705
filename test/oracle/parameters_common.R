# Shared by test/oracle/parameters_tmb.R and parameters_nlme.R: one model_parameters() call's table
# (its columns, rows, NA as null, Inf as "Inf"), its printout and the messages of the call and the print.
capture <- function(expr) {
  msgs <- character(0)
  val <- NULL
  printed <- withCallingHandlers(capture.output(val <- expr), message = function(e) { msgs <<- c(msgs, conditionMessage(e)); invokeRestart("muffleMessage") },
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(value = val, printed = printed, messages = msgs)
}
rows_of <- function(df) lapply(seq_len(nrow(df)), function(i) lapply(as.list(df[i, , drop = FALSE]), function(v) { v <- if (is.factor(v)) as.character(v) else v; if (is.numeric(v) && is.infinite(v)) "Inf" else v }))
mp_case <- function(name, model, fit, ...) {
  a <- list(...)
  # the footer's note on exponentiate is printed once per session: reset its option for each case
  options(parameters_warning_exponentiate = TRUE)
  r <- capture(do.call(model_parameters, c(list(fit), a)))
  p <- capture(print(r$value))
  list(name = name, model = model, args = a, columns = names(as.data.frame(r$value)),
    rows = rows_of(as.data.frame(r$value)), printed = p$printed, messages = c(r$messages, p$messages))
}
