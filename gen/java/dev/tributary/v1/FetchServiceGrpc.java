package dev.tributary.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Reads records: a long-poll Fetch, or a Subscribe stream that stays open.
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: tributary/v1/fetch.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class FetchServiceGrpc {

  private FetchServiceGrpc() {}

  public static final String SERVICE_NAME = "tributary.v1.FetchService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.FetchRequest,
      dev.tributary.v1.FetchResponse> getFetchMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Fetch",
      requestType = dev.tributary.v1.FetchRequest.class,
      responseType = dev.tributary.v1.FetchResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.FetchRequest,
      dev.tributary.v1.FetchResponse> getFetchMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.FetchRequest, dev.tributary.v1.FetchResponse> getFetchMethod;
    if ((getFetchMethod = FetchServiceGrpc.getFetchMethod) == null) {
      synchronized (FetchServiceGrpc.class) {
        if ((getFetchMethod = FetchServiceGrpc.getFetchMethod) == null) {
          FetchServiceGrpc.getFetchMethod = getFetchMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.FetchRequest, dev.tributary.v1.FetchResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Fetch"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FetchRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.FetchResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FetchServiceMethodDescriptorSupplier("Fetch"))
              .build();
        }
      }
    }
    return getFetchMethod;
  }

  private static volatile io.grpc.MethodDescriptor<dev.tributary.v1.SubscribeRequest,
      dev.tributary.v1.SubscribeResponse> getSubscribeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Subscribe",
      requestType = dev.tributary.v1.SubscribeRequest.class,
      responseType = dev.tributary.v1.SubscribeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<dev.tributary.v1.SubscribeRequest,
      dev.tributary.v1.SubscribeResponse> getSubscribeMethod() {
    io.grpc.MethodDescriptor<dev.tributary.v1.SubscribeRequest, dev.tributary.v1.SubscribeResponse> getSubscribeMethod;
    if ((getSubscribeMethod = FetchServiceGrpc.getSubscribeMethod) == null) {
      synchronized (FetchServiceGrpc.class) {
        if ((getSubscribeMethod = FetchServiceGrpc.getSubscribeMethod) == null) {
          FetchServiceGrpc.getSubscribeMethod = getSubscribeMethod =
              io.grpc.MethodDescriptor.<dev.tributary.v1.SubscribeRequest, dev.tributary.v1.SubscribeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Subscribe"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.SubscribeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  dev.tributary.v1.SubscribeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new FetchServiceMethodDescriptorSupplier("Subscribe"))
              .build();
        }
      }
    }
    return getSubscribeMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static FetchServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceStub>() {
        @java.lang.Override
        public FetchServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceStub(channel, callOptions);
        }
      };
    return FetchServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static FetchServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceBlockingStub>() {
        @java.lang.Override
        public FetchServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceBlockingStub(channel, callOptions);
        }
      };
    return FetchServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static FetchServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<FetchServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<FetchServiceFutureStub>() {
        @java.lang.Override
        public FetchServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new FetchServiceFutureStub(channel, callOptions);
        }
      };
    return FetchServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Reads records: a long-poll Fetch, or a Subscribe stream that stays open.
   * </pre>
   */
  public static abstract class FetchServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Reads records of one partition from an offset. At the log end it waits up to
     * `max_wait_ms` for `min_bytes` to arrive. An offset below the log start offset
     * or above the log end offset is OUT_OF_RANGE.
     * </pre>
     */
    public void fetch(dev.tributary.v1.FetchRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FetchResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getFetchMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams records as they are appended, until the client cancels. Either
     * explicit partitions of one topic with a start position, or (with `group_id`)
     * a consumer-group membership in which the broker assigns partitions and
     * announces them on the stream.
     * </pre>
     */
    public void subscribe(dev.tributary.v1.SubscribeRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.SubscribeResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSubscribeMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getFetchMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                dev.tributary.v1.FetchRequest,
                dev.tributary.v1.FetchResponse>(
                  this, METHODID_FETCH)))
          .addMethod(
            getSubscribeMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                dev.tributary.v1.SubscribeRequest,
                dev.tributary.v1.SubscribeResponse>(
                  this, METHODID_SUBSCRIBE)))
          .build();
    }
  }

  /**
   * <pre>
   * Reads records: a long-poll Fetch, or a Subscribe stream that stays open.
   * </pre>
   */
  public static final class FetchServiceStub extends io.grpc.stub.AbstractAsyncStub<FetchServiceStub> {
    private FetchServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Reads records of one partition from an offset. At the log end it waits up to
     * `max_wait_ms` for `min_bytes` to arrive. An offset below the log start offset
     * or above the log end offset is OUT_OF_RANGE.
     * </pre>
     */
    public void fetch(dev.tributary.v1.FetchRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.FetchResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getFetchMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams records as they are appended, until the client cancels. Either
     * explicit partitions of one topic with a start position, or (with `group_id`)
     * a consumer-group membership in which the broker assigns partitions and
     * announces them on the stream.
     * </pre>
     */
    public void subscribe(dev.tributary.v1.SubscribeRequest request,
        io.grpc.stub.StreamObserver<dev.tributary.v1.SubscribeResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getSubscribeMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Reads records: a long-poll Fetch, or a Subscribe stream that stays open.
   * </pre>
   */
  public static final class FetchServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<FetchServiceBlockingStub> {
    private FetchServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Reads records of one partition from an offset. At the log end it waits up to
     * `max_wait_ms` for `min_bytes` to arrive. An offset below the log start offset
     * or above the log end offset is OUT_OF_RANGE.
     * </pre>
     */
    public dev.tributary.v1.FetchResponse fetch(dev.tributary.v1.FetchRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getFetchMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams records as they are appended, until the client cancels. Either
     * explicit partitions of one topic with a start position, or (with `group_id`)
     * a consumer-group membership in which the broker assigns partitions and
     * announces them on the stream.
     * </pre>
     */
    public java.util.Iterator<dev.tributary.v1.SubscribeResponse> subscribe(
        dev.tributary.v1.SubscribeRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getSubscribeMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Reads records: a long-poll Fetch, or a Subscribe stream that stays open.
   * </pre>
   */
  public static final class FetchServiceFutureStub extends io.grpc.stub.AbstractFutureStub<FetchServiceFutureStub> {
    private FetchServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected FetchServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new FetchServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Reads records of one partition from an offset. At the log end it waits up to
     * `max_wait_ms` for `min_bytes` to arrive. An offset below the log start offset
     * or above the log end offset is OUT_OF_RANGE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<dev.tributary.v1.FetchResponse> fetch(
        dev.tributary.v1.FetchRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getFetchMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_FETCH = 0;
  private static final int METHODID_SUBSCRIBE = 1;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final FetchServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(FetchServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_FETCH:
          serviceImpl.fetch((dev.tributary.v1.FetchRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.FetchResponse>) responseObserver);
          break;
        case METHODID_SUBSCRIBE:
          serviceImpl.subscribe((dev.tributary.v1.SubscribeRequest) request,
              (io.grpc.stub.StreamObserver<dev.tributary.v1.SubscribeResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class FetchServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    FetchServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return dev.tributary.v1.FetchProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("FetchService");
    }
  }

  private static final class FetchServiceFileDescriptorSupplier
      extends FetchServiceBaseDescriptorSupplier {
    FetchServiceFileDescriptorSupplier() {}
  }

  private static final class FetchServiceMethodDescriptorSupplier
      extends FetchServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    FetchServiceMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (FetchServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new FetchServiceFileDescriptorSupplier())
              .addMethod(getFetchMethod())
              .addMethod(getSubscribeMethod())
              .build();
        }
      }
    }
    return result;
  }
}
