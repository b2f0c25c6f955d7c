namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Cronos's <c>@</c> macros and their exact five-field meaning (Cronos defines each macro as that expression).
/// </summary>
internal static class CronMacros
{
    /// <summary>The macro that means "every second"; it has no minute-resolution equivalent.</summary>
    public const string EverySecond = "@every_second";

    private static readonly Dictionary<string, string> FiveField = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
        ["@monthly"] = "0 0 1 * *",
        ["@weekly"] = "0 0 * * 0",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@hourly"] = "0 * * * *",
        ["@every_minute"] = "* * * * *",
    };

    public static bool IsMacro(string expression) => expression.TrimStart(' ', '\t').StartsWith('@');

    public static bool TryExpand(string macro, out string fiveFields) =>
        FiveField.TryGetValue(macro.Trim(' ', '\t'), out fiveFields!);
}
