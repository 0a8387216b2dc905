  const STATS = [
    ['start', 'Start', 'date'], ['end', 'End', 'date'], ['duration_days', 'Duration', 'dur'],
    ['exposure_time_pct', 'Exposure Time [%]', 'pct', 1], ['equity_final', 'Equity Final [$]', 'money'],
    ['equity_peak', 'Equity Peak [$]', 'money'], ['commissions', 'Commissions [$]', 'money'],
    ['return_pct', 'Return [%]', 'pct', 1], ['buy_hold_return_pct', 'Buy & Hold Return [%]', 'pct'],
    ['return_ann_pct', 'Return (Ann.) [%]', 'pct'], ['volatility_ann_pct', 'Volatility (Ann.) [%]', 'pct'],
    ['cagr_pct', 'CAGR [%]', 'pct'], ['sharpe_ratio', 'Sharpe Ratio', 'ratio', 1], ['sortino_ratio', 'Sortino Ratio', 'ratio'],
    ['calmar_ratio', 'Calmar Ratio', 'ratio'], ['alpha_pct', 'Alpha [%]', 'pct'], ['beta', 'Beta', 'ratio'],
    ['max_drawdown_pct', 'Max. Drawdown [%]', 'pct', 1], ['avg_drawdown_pct', 'Avg. Drawdown [%]', 'pct'],
    ['max_drawdown_duration_days', 'Max. Drawdown Duration', 'dur'], ['avg_drawdown_duration_days', 'Avg. Drawdown Duration', 'dur'],
    ['trades', '# Trades', 'int', 1], ['win_rate_pct', 'Win Rate [%]', 'pct'], ['best_trade_pct', 'Best Trade [%]', 'pct'],
    ['worst_trade_pct', 'Worst Trade [%]', 'pct'], ['avg_trade_pct', 'Avg. Trade [%]', 'pct'],
    ['max_trade_duration_days', 'Max. Trade Duration', 'dur'], ['avg_trade_duration_days', 'Avg. Trade Duration', 'dur'],
    ['profit_factor', 'Profit Factor', 'ratio', 1], ['expectancy_pct', 'Expectancy [%]', 'pct'], ['sqn', 'SQN', 'ratio'],
    ['kelly_criterion', 'Kelly Criterion', 'ratio'],
  ];
  function statText(v, kind) {
    if (kind === 'date') return typeof v === 'string' ? v.replace('T', ' ') : v == null ? '—' : String(v);
    if (kind === 'dur') return fmtDays(v);
    if (kind === 'int') return fmt(v, 0);
    if (kind === 'money') return fmt(v, 2);
    if (kind === 'pct') return fmt(v, 2);
    if (typeof v === 'string' && !/^-?Infinity$/.test(v)) return v;
    return fmt(v, 3);
  }
