package ai.infer4j.bench.record;

import java.util.List;

/** How one request ended, as the load generator counts it. {@link #column()} names its CSV column. */
public enum Outcome {
    /** 2xx: served. */
    OK("ok"),
    /** 503 or 429: the target refused (queue full, shutting down, deadline passed in its queue). */
    REFUSED("refused"),
    /** No answer within the client's timeout. */
    TIMEOUT("timeout"),
    /** Another 4xx: the request itself is wrong (bad data, unknown model). */
    CLIENT_ERROR("client_error"),
    /** Another 5xx. */
    SERVER_ERROR("server_error"),
    /** Connection refused, reset or closed mid-request. */
    IO_ERROR("io_error"),
    /** Never sent: the client already had {@code --max-in-flight} requests outstanding at the intended send time. */
    DROPPED("dropped");

    /** Every error kind, in CSV column order. */
    public static final List<Outcome> ERRORS = List.of(REFUSED, TIMEOUT, CLIENT_ERROR, SERVER_ERROR, IO_ERROR, DROPPED);

    private final String column;

    Outcome(String column) {
        this.column = column;
    }

    public String column() {
        return column;
    }

    /** Maps an HTTP status to an outcome. */
    public static Outcome ofStatus(int status) {
        if (status >= 200 && status < 300) return OK;
        if (status == 503 || status == 429) return REFUSED;
        if (status == 504 || status == 408) return TIMEOUT;
        if (status >= 400 && status < 500) return CLIENT_ERROR;
        return SERVER_ERROR;
    }
}
