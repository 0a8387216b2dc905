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
  // What each statistic is comes from the page data's `definitions` (written by the Swift side
  // from its one table, StatisticDefinition.all; not repeated here): the definition is a name's
  // title (shown on hover, read as its accessible description), and a name that means little on
  // few trades carries a dagger explained by the note under its table.
  const STAT_DEFS = new Map();
  const STAT_NOTE = { few: '' };
  function useDefinitions(d) {
    STAT_DEFS.clear();
    const s = d && typeof d === 'object' && d.statistics && typeof d.statistics === 'object' ? d.statistics : {};
    for (const k in s) if (s[k] && typeof s[k].definition === 'string') STAT_DEFS.set(k, s[k]);
    STAT_NOTE.few = d && typeof d.few_trades_note === 'string' ? d.few_trades_note : '';
  }
  const statFew = (key) => STAT_DEFS.has(key) && STAT_DEFS.get(key).few_trades === true;
  const FEW_MARK = ' \u2020';
  function statTitle(key) {
    const d = STAT_DEFS.get(key);
    if (!d) return null;
    return d.definition + (d.few_trades === true && STAT_NOTE.few ? ' \u2020 ' + STAT_NOTE.few : '');
  }
  // the label cell of a statistics table: the label, the dagger, the definition as title
  const statLabelCell = (key, label) => h('td', { class: 'l', title: statTitle(key), data: statFew(key) ? { few: 'true' } : null },
    label, statFew(key) ? h('span', { class: 'few-mark', text: FEW_MARK }) : null);
  // the note under a table that shows a dagger
  const fewCaption = () => h('caption', { class: 'few-note', text: '\u2020 ' + (STAT_NOTE.few || 'Means little on few trades.') });
