using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Range checks of <see cref="LocalSqsdOptions"/>, using the valid ranges Elastic Beanstalk documents for the
/// <c>aws:elasticbeanstalk:sqsd</c> options so that a setting that works locally also deploys.
/// </summary>
internal sealed class LocalSqsdOptionsValidation : IValidateOptions<LocalSqsdOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalSqsdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static void ThrowIfInvalid(LocalSqsdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Errors(options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(string.Empty, typeof(LocalSqsdOptions), errors);
        }
    }

    public static List<string> Errors(LocalSqsdOptions options)
    {
        var errors = new List<string>();
        CheckQueueUrl(options, errors);
        if (string.IsNullOrEmpty(options.HttpPath) || options.HttpPath[0] != '/')
        {
            errors.Add($"HttpPath must be a path starting with '/' (was '{options.HttpPath}').");
        }

        if (string.IsNullOrWhiteSpace(options.MimeType))
        {
            errors.Add("MimeType must not be empty.");
        }

        CheckRange(errors, nameof(options.HttpConnections), options.HttpConnections, 1, 100);
        CheckRange(errors, nameof(options.ConnectTimeout), options.ConnectTimeout, 1, 60);
        CheckRange(errors, nameof(options.InactivityTimeout), options.InactivityTimeout, 1, 36000);
        CheckRange(errors, nameof(options.VisibilityTimeout), options.VisibilityTimeout, 0, 43200);
        CheckRange(errors, nameof(options.ErrorVisibilityTimeout), options.ErrorVisibilityTimeout, 0, 43200);
        CheckRange(errors, nameof(options.RetentionPeriod), options.RetentionPeriod, 60, 1209600);
        CheckRange(errors, nameof(options.MaxRetries), options.MaxRetries, 1, 100);
        CheckRange(errors, nameof(options.ReceiveWaitTimeSeconds), options.ReceiveWaitTimeSeconds, 0, 20);
        if (options.BaseAddress is not { IsAbsoluteUri: true } address || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"BaseAddress must be an absolute http(s) URL (was '{options.BaseAddress}').");
        }

        if (options.BatchDeleteDelay < TimeSpan.Zero)
        {
            errors.Add($"BatchDeleteDelay must not be negative (was {options.BatchDeleteDelay}).");
        }

        if (options.DrainTimeout < TimeSpan.Zero)
        {
            errors.Add($"DrainTimeout must not be negative (was {options.DrainTimeout}).");
        }

        if (options.SqsdVersion is null || options.SqsdVersion.Any(char.IsWhiteSpace))
        {
            errors.Add($"SqsdVersion must be a version without spaces, e.g. '3.0.4' (was '{options.SqsdVersion}').");
        }

        return errors;
    }

    private static void CheckQueueUrl(LocalSqsdOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.WorkerQueueURL))
        {
            errors.Add("WorkerQueueURL is required.");
        }
        else if (!Uri.TryCreate(options.WorkerQueueURL, UriKind.Absolute, out _))
        {
            errors.Add($"WorkerQueueURL must be an absolute URL (was '{options.WorkerQueueURL}').");
        }
        else if (!string.IsNullOrEmpty(options.CronYamlPath) && options.WorkerQueueURL.EndsWith(".fifo", StringComparison.Ordinal))
        {
            errors.Add("CronYamlPath cannot be used with a FIFO WorkerQueueURL: Elastic Beanstalk does not support periodic tasks on FIFO queues.");
        }
    }

    private static void CheckRange(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} must be between {min} and {max} (was {value}).");
        }
    }
}
