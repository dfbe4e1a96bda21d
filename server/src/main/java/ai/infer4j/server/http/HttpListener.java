package ai.infer4j.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Binds one HTTP listener (inference or management) on shared event loops. {@link #close()} stops
 * accepting new connections; the event loops are shut down by their owner.
 */
public final class HttpListener implements AutoCloseable {
    private final Channel channel;
    private final String name;

    private HttpListener(String name, Channel channel) {
        this.name = name;
        this.channel = channel;
    }

    /**
     * Binds {@code address} (port 0 picks a free port); each connection gets a new handler from {@code handler}.
     * With a non-null {@code authToken}, requests need {@code Authorization: Bearer <token>}.
     */
    public static HttpListener bind(String name, InetSocketAddress address, EventLoopGroup boss, EventLoopGroup workers,
                                    int maxRequestBytes, Duration idle, byte[] authToken, Supplier<ChannelHandler> handler) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new HttpInitializer(maxRequestBytes, idle.toMillis(), authToken, handler));
        InetSocketAddress resolved = address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
        Channel ch = b.bind(resolved).sync().channel();
        return new HttpListener(name, ch);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
