"""What both front ends call: session, targets, plan, execution, backtest, risk, sweep and the
HTML report; records in, records out, nothing printed. May import brokers, inputs, state, domain."""
