using System.Net;
using System.Text.RegularExpressions;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>
/// Reads the web process's Hangfire Dashboard over HTTP, as a signed-in browser would: Basic credentials on every
/// request, the antiforgery cookie kept, and the page's antiforgery token sent with each action.
/// </summary>
public sealed partial class DashboardClient : IDisposable
{
    public const string Username = "topology";
    public static readonly string Password = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18));

    private readonly Uri _baseAddress;
    private readonly HttpClient _http;

    public DashboardClient(Uri baseAddress)
    {
        _baseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Username + ":" + Password)));
    }

    public Uri BaseAddress => _baseAddress;

    public async Task<string> GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, "GET {0} on the web process's Dashboard: {1}", path, body.Length > 500 ? body[..500] : body);
        return body;
    }

    /// <summary>The Dashboard page text without markup (whitespace collapsed), for assertions on what a user reads.</summary>
    public async Task<string> GetTextAsync(string path) => ToText(await GetAsync(path));

    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> form)
    {
        using var content = new FormUrlEncodedContent(form);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        var page = await GetAsync("/hangfire");
        request.Headers.Add(
            CsrfHeader().Match(page).Groups[1].Value,
            WebUtility.HtmlDecode(CsrfToken().Match(page).Groups[1].Value));
        return await _http.SendAsync(request);
    }

    /// <summary>A job's details page as text: its states, newest first, with each state's data.</summary>
    public Task<string> JobDetailsAsync(string jobId) => GetTextAsync($"/hangfire/jobs/details/{jobId}");

    /// <summary>The JSON the web API returned, reduced to the job ids it names.</summary>
    public async Task<Dictionary<string, string>> PostApiAsync(string pathAndQuery)
    {
        using var response = await _http.PostAsync(pathAndQuery, content: null);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, "POST {0}: {1}", pathAndQuery, body);
        return JsonIds().Matches(body).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
    }

    public static string ToText(string html)
    {
        var withoutScripts = Scripts().Replace(html, " ");
        var text = Tags().Replace(withoutScripts, " ");
        return Spaces().Replace(WebUtility.HtmlDecode(text), " ").Trim();
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<(script|style)[^>]*>.*?</\\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Scripts();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex("\\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex("\"(\\w+)\"\\s*:\\s*\"([^\"]+)\"")]
    private static partial Regex JsonIds();

    [GeneratedRegex("<meta name=\"csrf-header\" content=\"([^\"]+)\"")]
    private static partial Regex CsrfHeader();

    [GeneratedRegex("<meta name=\"csrf-token\" content=\"([^\"]+)\"")]
    private static partial Regex CsrfToken();
}
