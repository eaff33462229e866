"""Built-in strategies, each a small readable module; users' own files load by path instead."""

BUILTIN: dict[str, str] = {
    "ma_cross": "strategies.ma_cross:MaCross",
    "ema_adx": "strategies.ema_adx:EmaAdx",
    "rsi_bollinger": "strategies.rsi_bollinger:RsiBollinger",
    "donchian": "strategies.donchian:Donchian",
}
DEFAULT = "ma_cross"
